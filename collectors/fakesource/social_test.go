package fakesource

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

func get(t *testing.T, url string) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// The Mastodon fake pages like Mastodon: newest first, min_id gives the
// page just after it, and the Link header points both ways.
func TestMastodonFakeTimeline(t *testing.T) {
	c := &testClock{t: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}
	var sts []MastodonStatus
	for i := 1; i <= 5; i++ {
		sts = append(sts, MastodonStatus{ID: strconv.Itoa(100 + i), Account: MastodonAccount{ID: "1", Username: "a"}, Tags: []string{"x"}, Content: "<p>hi</p>"})
	}
	srv := httptest.NewServer(NewMastodonServer(c.Now, sts...))
	defer srv.Close()
	resp, body := get(t, srv.URL+"/api/v1/timelines/tag/x?limit=2&min_id=101")
	var page []struct{ ID, URI string }
	if err := json.Unmarshal(body, &page); err != nil {
		t.Fatal(err)
	}
	if len(page) != 2 || page[0].ID != "103" || page[1].ID != "102" || !strings.HasPrefix(page[0].URI, srv.URL+"/users/a/statuses/") {
		t.Errorf("page = %+v", page)
	}
	link := resp.Header.Get("Link")
	if !strings.Contains(link, "max_id=102>; rel=\"next\"") || !strings.Contains(link, "min_id=103>; rel=\"prev\"") {
		t.Errorf("Link = %s", link)
	}
}

// The streaming socket needs the token and double-encodes payloads.
func TestMastodonFakeStreaming(t *testing.T) {
	c := &testClock{t: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}
	s := NewMastodonServer(c.Now, MastodonStatus{ID: "7", Account: MastodonAccount{ID: "1", Username: "a"}, Tags: []string{"x"}, Content: `<p>"quoted"</p>`, At: time.Minute})
	s.Token = "tok"
	srv := httptest.NewServer(s)
	defer srv.Close()
	ws := "ws" + strings.TrimPrefix(srv.URL, "http") + "/api/v1/streaming?stream=hashtag&tag=x"
	if _, resp, err := websocket.DefaultDialer.Dial(ws, nil); err == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("dial without token: %v", err)
	}
	conn, _, err := websocket.DefaultDialer.Dial(ws, http.Header{"Authorization": {"Bearer tok"}})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	c.Add(time.Minute)
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	var frame struct {
		Stream  []string
		Event   string
		Payload string
	}
	if err := conn.ReadJSON(&frame); err != nil {
		t.Fatal(err)
	}
	var st struct{ ID, Content string }
	if err := json.Unmarshal([]byte(frame.Payload), &st); err != nil || frame.Event != "update" || st.ID != "7" || st.Content != `<p>"quoted"</p>` {
		t.Errorf("frame = %+v, status %+v, %v", frame, st, err)
	}
}

// Jetstream replays from the cursor, in time_us order, only the wanted
// collections (and identity/account events).
func TestJetstreamFakeReplay(t *testing.T) {
	c := &testClock{t: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}
	s := NewBlueskyServer(c.Now, BlueskyPost{DID: "did:plc:a", RKey: "1", Text: "one", At: time.Second},
		BlueskyPost{DID: "did:plc:a", RKey: "2", Text: "two", At: 2 * time.Second})
	s.AddRaw(1500*time.Millisecond, "app.bsky.feed.like", func(us int64) string {
		return `{"did":"did:plc:b","time_us":` + strconv.FormatInt(us, 10) + `,"kind":"commit","commit":{"collection":"app.bsky.feed.like"}}`
	})
	s.AddRaw(1600*time.Millisecond, "", func(us int64) string {
		return `{"did":"did:plc:b","time_us":` + strconv.FormatInt(us, 10) + `,"kind":"identity"}`
	})
	srv := httptest.NewServer(s)
	defer srv.Close()
	c.Add(time.Minute)
	cursor := c.t.Add(-time.Minute).Add(1200 * time.Millisecond).UnixMicro() // after post one
	ws := "ws" + strings.TrimPrefix(srv.URL, "http") + "/subscribe?wantedCollections=app.bsky.feed.post&cursor=" + strconv.FormatInt(cursor, 10)
	conn, _, err := websocket.DefaultDialer.Dial(ws, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var kinds []string
	for i := 0; i < 2; i++ {
		conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		var ev struct {
			Kind   string `json:"kind"`
			TimeUS int64  `json:"time_us"`
			Commit struct {
				RKey string `json:"rkey"`
			} `json:"commit"`
		}
		if err := conn.ReadJSON(&ev); err != nil {
			t.Fatal(err)
		}
		if ev.TimeUS < cursor {
			t.Errorf("event before the cursor: %d < %d", ev.TimeUS, cursor)
		}
		kinds = append(kinds, ev.Kind+ev.Commit.RKey)
	}
	if strings.Join(kinds, ",") != "identity,commit2" {
		t.Errorf("replayed %v", kinds)
	}
}
