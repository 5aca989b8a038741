package ui

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/pantau/pantau/store"
)

func ingestN(t testing.TB, st *store.Store, prefix string, n int) {
	t.Helper()
	for i := range n {
		ingest(t, st, mention(fmt.Sprintf("%s-%d", prefix, i), "text "+prefix))
	}
}

func TestHubBacklogThenLive(t *testing.T) {
	st := newTestStore(t)
	ingestN(t, st, "old", 15) // 30 events: mention.new and source.health each
	ts := startServer(t, st, Config{}, func(s *Server) { s.hub.pageSize = 4 })

	c := mustDialWS(t, ts, 0)
	backlog := readUntil(t, c, 0, 30)
	if backlog[0].Type != store.EventMentionNew || backlog[1].Type != store.EventSourceHealth {
		t.Errorf("first events %q, %q", backlog[0].Type, backlog[1].Type)
	}
	waitFor(t, "the client to join the hub", 5*time.Second, func() bool { return ts.hub.clientCount() == 1 })

	ingestN(t, st, "new", 5)
	live := readUntil(t, c, 30, 40)
	if !strings.Contains(string(live[0].Data), `"native_id":"new-0"`) {
		t.Errorf("first live event %s", live[0].Data)
	}
	// Nothing more may come: no duplicate of what was sent.
	if e, err := readEvent(c, 200*time.Millisecond); err == nil {
		t.Errorf("unexpected extra event %d", e.Seq)
	}
}

func TestHubResumeSince(t *testing.T) {
	st := newTestStore(t)
	ingestN(t, st, "m", 10) // 20 events
	ts := startServer(t, st, Config{}, nil)

	c := mustDialWS(t, ts, 13)
	readUntil(t, c, 13, 20)
	ingestN(t, st, "later", 1)
	readUntil(t, c, 20, 22)

	// since at the head: nothing old, then live.
	c2 := mustDialWS(t, ts, 22)
	waitFor(t, "both clients to join", 5*time.Second, func() bool { return ts.hub.clientCount() == 2 })
	ingestN(t, st, "last", 1)
	readUntil(t, c2, 22, 24)

	// No since: live only, from the newest event.
	c3, resp, err := dialWS(ts, "", nil)
	if err != nil {
		t.Fatalf("dial without since: %v (%s)", err, respText(resp))
	}
	defer c3.Close()
	waitFor(t, "three clients", 5*time.Second, func() bool { return ts.hub.clientCount() == 3 })
	ingestN(t, st, "after", 1)
	readUntil(t, c3, 24, 26)
}

// TestHubNoGapNoDuplicate races joins against a busy writer: clients join
// at random points with random since values while events keep arriving,
// with pages and buffers small enough that every path (catch-up in pages,
// gap filled by the hub, join refused as too far behind, slow client
// dropped and resuming with since) is taken. Each client must see every
// event after its since exactly once, in order.
func TestHubNoGapNoDuplicate(t *testing.T) {
	st := newTestStore(t)
	ingestN(t, st, "pre", 15) // 30 events
	ts := startServer(t, st, Config{}, func(s *Server) {
		s.hub.pageSize = 3
		s.hub.sendBuffer = 4
		s.hub.hubPage = 5
	})

	const batches = 120
	var final atomic.Uint64 // set once the writer is done
	progress := make(chan int, batches)
	go func() {
		defer close(progress)
		for i := range batches {
			ms := make([]store.Mention, 1+i%3)
			for j := range ms {
				ms[j] = mention(fmt.Sprintf("w%d-%d", i, j), "busy")
			}
			if _, err := st.Ingest(store.Batch{Source: "news", Kind: "rss", Mentions: ms}); err != nil {
				t.Error(err)
				return
			}
			progress <- i
		}
		seq, _ := st.LastSeq()
		final.Store(seq)
	}()

	const clients = 6
	var wg sync.WaitGroup
	var reconnects atomic.Int64
	errs := make(chan error, clients)
	started := 0
	for i := range progress {
		if started < clients && i%(batches/clients) == 0 {
			started++
			since := rand.Uint64N(lastSeq(t, st) + 1)
			wg.Add(1)
			go func() {
				defer wg.Done()
				n, err := followStream(ts, since, &final)
				reconnects.Add(int64(n))
				if err != nil {
					errs <- fmt.Errorf("client from %d: %w", since, err)
				}
			}()
		}
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("clients did not reach the last event")
	}
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	t.Logf("final seq %d, reconnects after drops %d", final.Load(), reconnects.Load())
}

// followStream reads from since until the final event, reconnecting with
// since=<last seen> whenever the server drops it, and fails on any gap or
// duplicate.
func followStream(ts *testServer, since uint64, final *atomic.Uint64) (reconnects int, err error) {
	last := since
	for {
		c, resp, err := dialWS(ts, fmt.Sprint(last), nil)
		if err != nil {
			return reconnects, fmt.Errorf("dial: %v (%s)", err, respText(resp))
		}
		for {
			if f := final.Load(); f != 0 && last >= f {
				c.Close()
				return reconnects, nil
			}
			e, err := readEvent(c, 500*time.Millisecond)
			if err != nil {
				c.Close()
				if closeCode(err) == websocket.CloseTryAgainLater {
					reconnects++
					break // dropped as too slow: resume
				}
				if ne, ok := err.(net.Error); ok && ne.Timeout() {
					if f := final.Load(); f != 0 && last < f {
						return reconnects, fmt.Errorf("stalled at %d of %d", last, f)
					}
					break // timed out before the writer finished: reconnect
				}
				return reconnects, fmt.Errorf("read after %d: %w", last, err)
			}
			if e.Seq != last+1 {
				c.Close()
				return reconnects, fmt.Errorf("got event %d after %d", e.Seq, last)
			}
			last = e.Seq
		}
	}
}

// smallBufferListener shrinks every accepted connection's send buffer, so
// that a client that stops reading blocks the server's writes quickly.
type smallBufferListener struct{ net.Listener }

func (l smallBufferListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetWriteBuffer(4096)
	}
	return c, err
}

// slowDial opens a websocket whose receive buffer is small, for a client
// that reads late or never.
func slowDial(t *testing.T, ts *testServer) *websocket.Conn {
	t.Helper()
	slowDialer := *websocket.DefaultDialer
	slowDialer.NetDialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if tc, ok := c.(*net.TCPConn); ok {
			tc.SetReadBuffer(4096)
		}
		return c, err
	}
	slow, resp, err := dialWSWith(&slowDialer, ts, "0", nil)
	if err != nil {
		t.Fatalf("dial slow: %v (%s)", err, respText(resp))
	}
	t.Cleanup(func() { slow.Close() })
	return slow
}

// flood commits 60 mentions of 8 KiB, far more than a slow socket holds,
// while fast reads each commit's events as they come: it must get every
// one whatever the other clients do. It returns the last event's seq.
func flood(t *testing.T, st *store.Store, fast *websocket.Conn) uint64 {
	t.Helper()
	big := strings.Repeat("keluhan panjang ", 512)
	var want uint64
	for i := range 60 {
		ingest(t, st, mention(fmt.Sprint(i), big))
		readUntil(t, fast, want, want+2)
		want += 2
	}
	return want
}

// A client that falls behind is taken off the fan-out without holding up
// the others, and, on the same connection, catches up from the store at
// its own pace and rejoins the live stream: nothing missed, nothing twice.
func TestHubSlowClientCatchesUpWithoutBlockingOthers(t *testing.T) {
	st := newTestStore(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ts := serveOn(t, smallBufferListener{ln}, st, Config{}, func(s *Server) { s.hub.sendBuffer = 8 })

	// The slow client reads nothing for now, through a small receive buffer.
	slow := slowDial(t, ts)
	fast := mustDialWS(t, ts, 0)
	waitFor(t, "both clients to join", 5*time.Second, func() bool { return ts.hub.clientCount() == 2 })

	want := flood(t, st, fast)
	waitFor(t, "the slow client to leave the fan-out", 5*time.Second, func() bool { return ts.hub.clientCount() == 1 })

	// Now it reads: every event in order on the same connection, and it
	// is live again.
	readUntil(t, slow, 0, want)
	waitFor(t, "the slow client to rejoin", 5*time.Second, func() bool { return ts.hub.clientCount() == 2 })
	ingest(t, st, mention("after", "paket hilang"))
	readUntil(t, slow, want, want+2)
	readUntil(t, fast, want, want+2)
}

// A client that stops reading altogether is closed once a write has
// waited writeWait, and costs the hub nothing meanwhile.
func TestHubClosesClientThatStopsReading(t *testing.T) {
	st := newTestStore(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ts := serveOn(t, smallBufferListener{ln}, st, Config{}, func(s *Server) {
		s.hub.sendBuffer = 8
		s.hub.writeWait = 300 * time.Millisecond
	})
	slow := slowDial(t, ts)
	fast := mustDialWS(t, ts, 0)
	waitFor(t, "both clients to join", 5*time.Second, func() bool { return ts.hub.clientCount() == 2 })
	flood(t, st, fast)
	waitFor(t, "the stuck client's connection to end", 10*time.Second, func() bool { return ts.hub.connCount() == 1 })
	if n := ts.hub.clientCount(); n != 1 {
		t.Errorf("%d live clients, want 1", n)
	}
	// Its socket is closed: reading reaches the end of what was sent.
	slow.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		if _, _, err := slow.ReadMessage(); err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Fatal("the stuck client's connection is still open")
			}
			break
		}
	}
}

// A client resuming from a seq whose following events retention deleted
// is told to reload (4001) rather than skipping them silently; one that
// asks for everything (since=0) gets what is kept.
func TestHubResyncAfterRetentionGap(t *testing.T) {
	st := newTestStore(t)
	ingestN(t, st, "old", 5) // events 1..10
	ts := startServer(t, st, Config{}, nil)
	if _, err := st.Prune(context.Background(), store.RetainEvents, time.Now().Add(time.Hour), 100); err != nil {
		t.Fatal(err)
	}
	ingestN(t, st, "new", 1) // events 11, 12
	c := mustDialWS(t, ts, 4)
	if _, err := readEvent(c, 5*time.Second); closeCode(err) != closeResync {
		t.Errorf("resume over deleted events: %v, want close %d", err, closeResync)
	}
	all := mustDialWS(t, ts, 0)
	if e, err := readEvent(all, 5*time.Second); err != nil || e.Seq != 11 {
		t.Errorf("since=0: first event %d, %v; want 11", e.Seq, err)
	}
	live := mustDialWS(t, ts, 10) // nothing deleted after 10
	if e, err := readEvent(live, 5*time.Second); err != nil || e.Seq != 11 {
		t.Errorf("since=10: first event %d, %v; want 11", e.Seq, err)
	}
	// The polling endpoint says so too.
	for since, want := range map[int]bool{4: true, 0: false, 10: false} {
		resp, err := http.Get(fmt.Sprintf("%s/api/events?since=%d", ts.URL, since))
		if err != nil {
			t.Fatal(err)
		}
		var page struct{ Gap bool }
		json.NewDecoder(resp.Body).Decode(&page)
		resp.Body.Close()
		if page.Gap != want {
			t.Errorf("/api/events?since=%d: gap %v, want %v", since, page.Gap, want)
		}
	}
}

func TestHubOriginCheck(t *testing.T) {
	st := newTestStore(t)
	ts := startServer(t, st, Config{AllowedOrigins: []string{"https://ops.example.com"}}, nil)
	tests := map[string]struct {
		origin string
		ok     bool
	}{
		"same origin":         {"http://" + ts.Host, true},
		"configured origin":   {"https://ops.example.com", true},
		"no origin (no page)": {"", true},
		"foreign origin":      {"https://evil.example", false},
		"same host, port":     {"http://127.0.0.1:1", false},
		"null origin":         {"null", false},
		"configured, http":    {"http://ops.example.com", false},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			h := http.Header{}
			if tc.origin != "" {
				h.Set("Origin", tc.origin)
			}
			c, resp, err := dialWS(ts, "0", h)
			if tc.ok {
				if err != nil {
					t.Fatalf("refused: %v (%s)", err, respText(resp))
				}
				c.Close()
				return
			}
			if err == nil {
				c.Close()
				t.Fatal("foreign origin accepted")
			}
			if resp == nil || resp.StatusCode != http.StatusForbidden {
				t.Errorf("want 403, got %s", respText(resp))
			}
		})
	}
}

func TestHubDisconnectAllThenResume(t *testing.T) {
	st := newTestStore(t)
	ingestN(t, st, "a", 2)
	ts := startServer(t, st, Config{}, nil)
	c := mustDialWS(t, ts, 0)
	readUntil(t, c, 0, 4)
	waitFor(t, "the client to join", 5*time.Second, func() bool { return ts.hub.clientCount() == 1 })

	if !ts.hub.disconnectAll() {
		t.Fatal("hub not running")
	}
	if _, err := readEvent(c, 5*time.Second); closeCode(err) != websocket.CloseServiceRestart {
		t.Fatalf("after disconnectAll: %v, want close 1012", err)
	}
	// Events committed while the client is away reach it on resume.
	ingestN(t, st, "b", 3)
	c2 := mustDialWS(t, ts, 4)
	readUntil(t, c2, 4, 10)
}

func TestHubRestartOnSameStore(t *testing.T) {
	st := newTestStore(t)
	ingestN(t, st, "a", 1)
	ts := startServer(t, st, Config{}, nil)
	c := mustDialWS(t, ts, 0)
	readUntil(t, c, 0, 2)

	ts.stop()
	if _, err := readEvent(c, 5*time.Second); closeCode(err) != websocket.CloseGoingAway {
		t.Fatalf("on shutdown: %v, want close 1001", err)
	}
	ingestN(t, st, "b", 2)
	ts2 := startServer(t, st, Config{}, nil)
	c2 := mustDialWS(t, ts2, 2)
	readUntil(t, c2, 2, 6)
}

func TestHubReadLimit(t *testing.T) {
	st := newTestStore(t)
	ts := startServer(t, st, Config{}, nil)
	c := mustDialWS(t, ts, 0)
	waitFor(t, "the client to join", 5*time.Second, func() bool { return ts.hub.clientCount() == 1 })
	if err := c.WriteMessage(websocket.TextMessage, make([]byte, maxClientMessage+1)); err != nil {
		t.Fatal(err)
	}
	if _, err := readEvent(c, 5*time.Second); closeCode(err) != websocket.CloseMessageTooBig {
		t.Errorf("after an oversized message: %v, want close 1009", err)
	}
	waitFor(t, "the client to leave", 5*time.Second, func() bool { return ts.hub.clientCount() == 0 })
}

func TestHubPingKeepsClientAlive(t *testing.T) {
	st := newTestStore(t)
	ts := startServer(t, st, Config{}, func(s *Server) {
		s.hub.pongWait = 300 * time.Millisecond
		s.hub.pingPeriod = 50 * time.Millisecond
	})
	c := mustDialWS(t, ts, 0)
	var pings atomic.Int64
	c.SetPingHandler(func(data string) error {
		pings.Add(1)
		return c.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(time.Second))
	})
	// Reading runs the ping handler; well past pongWait the client is
	// still served because its pongs keep the deadline fresh.
	if e, err := readEvent(c, time.Second); err == nil || closeCode(err) != -1 {
		t.Fatalf("unexpected %v %v", e, err)
	}
	if pings.Load() < 3 {
		t.Errorf("%d pings in a second", pings.Load())
	}
	if ts.hub.clientCount() != 1 {
		t.Errorf("client dropped while answering pings")
	}
}

func TestHubDropsClientThatStopsAnswering(t *testing.T) {
	st := newTestStore(t)
	ts := startServer(t, st, Config{}, func(s *Server) {
		s.hub.pongWait = 200 * time.Millisecond
		s.hub.pingPeriod = 50 * time.Millisecond
	})
	// This client never reads, so it never answers a ping.
	c := mustDialWS(t, ts, 0)
	defer c.Close()
	waitFor(t, "the client to join", 5*time.Second, func() bool { return ts.hub.clientCount() == 1 })
	waitFor(t, "the silent client to be dropped", 5*time.Second, func() bool { return ts.hub.clientCount() == 0 })
}

func TestHubSinceAheadOfStoreAsksForResync(t *testing.T) {
	st := newTestStore(t)
	ingestN(t, st, "m", 1)
	ts := startServer(t, st, Config{}, nil)
	c := mustDialWS(t, ts, 99)
	if _, err := readEvent(c, 5*time.Second); closeCode(err) != closeResync {
		t.Errorf("since beyond the store: %v, want close %d", err, closeResync)
	}
}
