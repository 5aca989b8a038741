package digest

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"image/png"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pantau/pantau/alerting/notify"
	"github.com/pantau/pantau/store"
	"github.com/pantau/pantau/store/secret"
)

// syncBuffer is a log sink safe for the dispatcher's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// slackFake is a Slack incoming webhook that answers 503 to the first
// request and 200 after, recording every body.
type slackFake struct {
	mu     sync.Mutex
	bodies [][]byte
	got    chan int
}

func (f *slackFake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.bodies = append(f.bodies, body)
	n := len(f.bodies)
	f.mu.Unlock()
	if n == 1 {
		// Echo the path, as a broken proxy might: it must not reach a log.
		http.Error(w, "upstream busy for "+r.URL.Path, http.StatusServiceUnavailable)
	} else {
		io.WriteString(w, "ok")
	}
	f.got <- n
}

func TestDigestDeliveredByEmailAndSlackWithRetry(t *testing.T) {
	loc := mustZone(t, "Asia/Jakarta")
	st := openStore(t)
	storeFixtures(t, st, jakartaFixtures(loc))

	box, pool := startMailbox(t)
	slack := &slackFake{got: make(chan int, 8)}
	hook := httptest.NewServer(slack)
	defer hook.Close()
	const slackToken = "T000/B000/XXXXdigestTOKEN1234"
	slackURL := hook.URL + "/services/" + slackToken

	host, portText, _ := net.SplitHostPort(box.addr)
	port, _ := strconv.Atoi(portText)
	receivers, err := notify.Build([]notify.ReceiverConfig{
		{Name: "marketing-mail", Kind: notify.KindEmail, Actions: []notify.Action{notify.Digest}, Email: &notify.EmailConfig{
			Host: host, Port: port, From: "Pantau <pantau@kilat.example>", To: []string{"Marketing <marketing@kilat.example>"},
			Username: smtpUser, Password: secret.New(smtpPass), StartTLS: notify.StartTLSRequired}},
		{Name: "marketing-slack", Kind: notify.KindSlack, Actions: []notify.Action{notify.Digest}, Slack: &notify.SlackConfig{URL: secret.New(slackURL)}},
	}, notify.Deps{TLSConfig: &tls.Config{RootCAs: pool}})
	if err != nil {
		t.Fatal(err)
	}
	var logs syncBuffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	// Rand 0: the retry after the 503 is due at once; no test waits out a
	// backoff.
	disp := notify.NewDispatcher(st, notify.Notifiers(receivers), logger, nil, notify.DispatcherOptions{Rand: func() float64 { return 0 }})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan struct{})
	go func() { defer close(done); disp.Run(ctx) }()

	due := time.Date(2026, 11, 23, 8, 0, 0, 0, loc)
	sched, _ := ParseSchedule("0 8 * * *", loc)
	job := Job{Kind: Daily, Schedule: sched, Loc: loc, Receivers: []Target{{Name: "marketing-mail"}, {Name: "marketing-slack"}}}
	runner := NewRunner([]Job{job}, StoreSource{Store: st}, st, logger, RunnerOptions{Wake: disp.Wake, Render: RenderOptions{PublicURL: "https://pantau.example.com"}})
	if err := runner.Send(ctx, job, due); err != nil {
		t.Fatal(err)
	}

	waitFor(t, box.got, "the e-mail")
	for n := 0; n < 2; {
		select {
		case n = <-slack.got:
		case <-time.After(10 * time.Second):
			t.Fatal("Slack was not retried after its 503")
		}
	}
	// Both are recorded as delivered, and making the digest again sends
	// nothing more.
	waitDelivered(t, st, "digest|daily|2026-11-22", "marketing-mail", "marketing-slack")
	if err := runner.Send(ctx, job, due); err != nil {
		t.Fatal(err)
	}
	cancel()
	<-done
	if n := len(box.messages()); n != 1 {
		t.Errorf("%d e-mails, want 1", n)
	}
	slack.mu.Lock()
	bodies := slack.bodies
	slack.mu.Unlock()
	if len(bodies) != 2 || !bytes.Equal(bodies[0], bodies[1]) {
		t.Errorf("slack got %d requests; the retry must send the same digest", len(bodies))
	}
	var payload map[string]any
	if err := json.Unmarshal(bodies[1], &payload); err != nil || payload["blocks"] == nil {
		t.Errorf("slack body is not Block Kit: %v %s", err, bodies[1])
	}

	msg := box.messages()[0]
	if !msg.tls || msg.from != "pantau@kilat.example" || len(msg.to) != 1 || msg.to[0] != "marketing@kilat.example" {
		t.Errorf("envelope: tls %v from %s to %v", msg.tls, msg.from, msg.to)
	}
	checkMIME(t, msg.data)

	// No secret in the logs: not the SMTP password, not the webhook's
	// token, whatever the receivers echoed.
	out := logs.String()
	for _, s := range []string{smtpPass, slackToken, "XXXXdigestTOKEN1234"} {
		if strings.Contains(out, s) {
			t.Errorf("log contains the secret %q:\n%s", s, out)
		}
	}
	if !strings.Contains(out, "will retry") || !strings.Contains(out, "digest: queued") {
		t.Errorf("log lacks the retry or the queueing:\n%s", out)
	}
}

func waitFor(t *testing.T, c <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-c:
	case <-time.After(10 * time.Second):
		t.Fatalf("%s did not arrive", what)
	}
}

// waitDelivered waits (bounded) until each receiver's item is delivered.
// The dispatcher records delivery just after the receiver answered.
func waitDelivered(t *testing.T, st *store.Store, id string, receivers ...string) {
	t.Helper()
	for _, r := range receivers {
		deadline := time.After(10 * time.Second)
		for {
			it, found, err := st.OutboxItemByID(store.OutboxID(id, r, store.OutboxDigest))
			if err != nil {
				t.Fatal(err)
			}
			if found && it.DeliveredAt != nil {
				break
			}
			ch := st.Changed()
			select {
			case <-ch:
			case <-deadline:
				t.Fatalf("%s for %s not delivered: %+v", id, r, it)
			}
		}
	}
}

// checkMIME parses the message: multipart/related holding a
// multipart/alternative (text, HTML) and the chart as an inline PNG that
// the HTML references by its Content-ID.
func checkMIME(t *testing.T, raw []byte) {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if subj, _ := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject")); !strings.Contains(subj, "Daily reputation digest: Sun 22 Nov 2026") {
		t.Errorf("subject %q", subj)
	}
	if m.Header.Get("Message-Id") == "" {
		t.Error("no Message-ID")
	}
	mt, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/related" {
		t.Fatalf("top type %q %v", mt, err)
	}
	rel := multipart.NewReader(m.Body, params["boundary"])
	first, err := rel.NextPart()
	if err != nil {
		t.Fatal(err)
	}
	at, aparams, _ := mime.ParseMediaType(first.Header.Get("Content-Type"))
	if at != "multipart/alternative" {
		t.Fatalf("first related part is %q", at)
	}
	alt := multipart.NewReader(first, aparams["boundary"])
	var types []string
	var html string
	for {
		p, err := alt.NextPart() // decodes quoted-printable
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		types = append(types, ct)
		body, _ := io.ReadAll(p)
		if ct == "text/html" {
			html = string(body)
		}
	}
	if strings.Join(types, ",") != "text/plain,text/html" {
		t.Fatalf("alternative parts %v", types)
	}
	if strings.Contains(html, "<script>") || !strings.Contains(html, "&lt;script&gt;") || strings.Contains(html, "dina.r92") {
		t.Error("the mailed HTML is not escaped and masked")
	}
	img, err := rel.NextPart()
	if err != nil {
		t.Fatal(err)
	}
	cid := strings.Trim(img.Header.Get("Content-Id"), "<>")
	if img.Header.Get("Content-Type") != "image/png" || !strings.Contains(html, `src="cid:`+cid+`"`) || !strings.HasPrefix(img.Header.Get("Content-Disposition"), "inline") {
		t.Errorf("image part %v; html must reference cid %q", img.Header, cid)
	}
	// multipart.Reader does not decode base64: do it.
	b64, _ := io.ReadAll(img)
	pngData := make([]byte, len(b64))
	n, err := base64Decode(pngData, b64)
	if err != nil {
		t.Fatal(err)
	}
	pic, err := png.Decode(bytes.NewReader(pngData[:n]))
	if err != nil {
		t.Fatalf("inline chart: %v", err)
	}
	if b := pic.Bounds(); b.Dx() != ChartWidth || b.Dy() != ChartHeight {
		t.Errorf("chart %v", b)
	}
	if _, err := rel.NextPart(); err != io.EOF {
		t.Errorf("more parts than the alternative and the chart: %v", err)
	}
}
