package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"testing"

	"github.com/pantau/pantau/store/secret"
)

// Without images a digest is a plain multipart/alternative.
func TestEmailDigestWithoutImages(t *testing.T) {
	c := newFakeClock()
	n := build(t, emailConfig("127.0.0.1:25", nil), Deps{Now: c.Now}).(*Email)
	m := Message{Version: MessageVersion, AlertID: "digest|daily|2026-11-22", Action: Digest, Title: "t",
		Digest: &DigestContent{Subject: "Daily digest", Text: "numbers", HTML: "<p>numbers</p>"}}
	raw, err := n.Compose(m)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	mt, params, _ := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if mt != "multipart/alternative" {
		t.Fatalf("type %q", mt)
	}
	r := multipart.NewReader(msg.Body, params["boundary"])
	var bodies []string
	for {
		p, err := r.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(p)
		bodies = append(bodies, string(b))
	}
	if len(bodies) != 2 || bodies[0] != "numbers" || bodies[1] != "<p>numbers</p>" {
		t.Errorf("parts %q", bodies)
	}
	if dec, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject")); dec != "Daily digest" {
		t.Errorf("subject %q", dec)
	}
}

// Slack posts a digest's own Block Kit payload as it is.
func TestSlackDigestPostsRenderedPayload(t *testing.T) {
	bodies := make(chan []byte, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		bodies <- b
	}))
	defer srv.Close()
	n := build(t, ReceiverConfig{Name: "s", Kind: KindSlack, Slack: &SlackConfig{URL: secret.New(srv.URL + "/services/x")}}, Deps{})
	payload := []byte(`{"text":"digest","blocks":[{"type":"section","text":{"type":"mrkdwn","text":"42 mentions"}}]}`)
	if _, err := n.Notify(context.Background(), Message{AlertID: "digest|daily|x", Action: Digest, Digest: &DigestContent{Slack: payload}}); err != nil {
		t.Fatal(err)
	}
	got := <-bodies
	var a, b any
	json.Unmarshal(got, &a)
	json.Unmarshal(payload, &b)
	if ja, _ := json.Marshal(a); !bytes.Equal(ja, mustJSON(b)) {
		t.Errorf("posted %s", got)
	}
}

func mustJSON(v any) []byte { b, _ := json.Marshal(v); return b }
