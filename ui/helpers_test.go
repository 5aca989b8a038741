package ui

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/pantau/pantau/store"
)

// testClock is an injected clock that moves one second per reading, so
// every batch gets its own, ordered SeenAt.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func newTestClock() *testClock {
	return &testClock{t: time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC)}
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Second)
	return c.t
}

func newTestStore(t testing.TB) *store.Store {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "pantau.db"), store.Options{Now: newTestClock().Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// testLogger writes through t, warnings and up only, so that a failing test
// shows what the server complained about.
func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
}

func mention(id, text string) store.Mention {
	return store.Mention{
		NativeID:  id,
		Text:      text,
		Author:    store.Author{Handle: "user_" + id, DisplayName: "User " + id},
		CreatedAt: time.Date(2025, 3, 14, 8, 0, 0, 0, time.UTC),
	}
}

// ingest stores ms as one batch of the "news" RSS source.
func ingest(t testing.TB, st *store.Store, ms ...store.Mention) store.IngestResult {
	t.Helper()
	res, err := st.Ingest(store.Batch{Source: "news", Kind: "rss", Mentions: ms})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rejected) > 0 {
		t.Fatalf("rejected: %v", res.Rejected)
	}
	return res
}

func lastSeq(t testing.TB, st *store.Store) uint64 {
	t.Helper()
	seq, err := st.LastSeq()
	if err != nil {
		t.Fatal(err)
	}
	return seq
}

// testServer is a Server running on a loopback port.
type testServer struct {
	*Server
	URL  string // http://127.0.0.1:port
	Host string // 127.0.0.1:port
	stop func()
}

// startServer runs a Server over st until the test ends (or stop is
// called). tune may adjust the server, its hub above all, before it serves.
func startServer(t testing.TB, st *store.Store, cfg Config, tune func(*Server), opts ...Option) *testServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return serveOn(t, ln, st, cfg, tune, opts...)
}

func serveOn(t testing.TB, ln net.Listener, st *store.Store, cfg Config, tune func(*Server), opts ...Option) *testServer {
	t.Helper()
	s := New(cfg, st, testLogger(t), opts...)
	if tune != nil {
		tune(s)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Serve: %v", err)
				}
			case <-time.After(15 * time.Second):
				t.Errorf("Serve did not return after its context ended")
			}
		})
	}
	t.Cleanup(stop)
	host := ln.Addr().String()
	return &testServer{Server: s, URL: "http://" + host, Host: host, stop: stop}
}

// waitFor polls cond until it holds or the timeout passes.
func waitFor(t testing.TB, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// dialWS opens the websocket; since may be "" for none.
func dialWS(ts *testServer, since string, header http.Header) (*websocket.Conn, *http.Response, error) {
	return dialWSWith(websocket.DefaultDialer, ts, since, header)
}

func dialWSWith(d *websocket.Dialer, ts *testServer, since string, header http.Header) (*websocket.Conn, *http.Response, error) {
	u := "ws://" + ts.Host + "/ws"
	if since != "" {
		u += "?since=" + since
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return d.DialContext(ctx, u, header)
}

func mustDialWS(t testing.TB, ts *testServer, since uint64) *websocket.Conn {
	t.Helper()
	c, resp, err := dialWS(ts, fmt.Sprint(since), nil)
	if err != nil {
		t.Fatalf("dial: %v (%s)", err, respText(resp))
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func respText(resp *http.Response) string {
	if resp == nil {
		return "no response"
	}
	b, _ := io.ReadAll(resp.Body)
	return fmt.Sprintf("%d %s", resp.StatusCode, strings.TrimSpace(string(b)))
}

// readEvent reads one frame, which must be one store.Event.
func readEvent(c *websocket.Conn, timeout time.Duration) (store.Event, error) {
	c.SetReadDeadline(time.Now().Add(timeout))
	typ, data, err := c.ReadMessage()
	if err != nil {
		return store.Event{}, err
	}
	if typ != websocket.TextMessage {
		return store.Event{}, fmt.Errorf("frame type %d, want text", typ)
	}
	var e store.Event
	if err := json.Unmarshal(data, &e); err != nil {
		return store.Event{}, fmt.Errorf("frame %q: %w", data, err)
	}
	if e.Seq == 0 || e.Type == "" || len(e.Data) == 0 {
		return store.Event{}, fmt.Errorf("frame %q is not a full event", data)
	}
	return e, nil
}

// readUntil reads events until one with seq >= until arrives, checking
// that they continue from `from` with no gap and no duplicate.
func readUntil(t testing.TB, c *websocket.Conn, from, until uint64) []store.Event {
	t.Helper()
	var out []store.Event
	next := from + 1
	for next <= until {
		e, err := readEvent(c, 10*time.Second)
		if err != nil {
			t.Fatalf("waiting for event %d (until %d): %v", next, until, err)
		}
		if e.Seq != next {
			t.Fatalf("got event %d, want %d", e.Seq, next)
		}
		out = append(out, e)
		next++
	}
	return out
}

func closeCode(err error) int {
	var ce *websocket.CloseError
	if errors.As(err, &ce) {
		return ce.Code
	}
	return -1
}
