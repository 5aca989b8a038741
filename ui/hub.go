package ui

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/pantau/pantau/store"
)

// The websocket protocol, GET /ws?since=N:
//
// Every text message the server sends is exactly one store.Event as JSON,
// {"seq":N,"type":"mention.new","at":"...","data":{...}}, in strictly
// increasing seq order with no gaps (other than events the store cannot
// decode). The stream starts with the stored events after N, read in pages,
// then goes on live. Without since the stream starts at the newest event.
// A client that reconnects with since=<last seq it saw> misses nothing and
// sees nothing twice. One event per message (rather than batches) keeps the
// client trivial; a message is small and bursts are rare.
//
// The server never expects messages from the client; it reads only to see
// control frames (pong, close). A client that reads more slowly than events
// come is not dropped: it falls back to reading the store at its own pace
// and rejoins the live stream when it has caught up, on the same
// connection; one that stops reading is closed when a write has waited
// writeWait. Close codes: 1001 the server is shutting down, 1011 the store
// failed, 1012 the server dropped every client, 1013 the client fell
// behind (older servers); after any of them, reconnect with since. 4001:
// since is ahead of the store's newest event (the store was replaced), or
// events after it were deleted by retention, so the client must reload its
// snapshot and start again from its seq.

// Hub tuning. Variables on the hub so tests can shrink them.
const (
	defaultSendBuffer = 1024 // frames queued per client before it is dropped
	defaultPageSize   = 500  // events per store read while catching up a client
	hubPageSize       = 1000 // events per store read by the hub
	defaultWriteWait  = 10 * time.Second
	defaultPongWait   = 60 * time.Second
	maxClientMessage  = 4 << 10 // the client sends nothing but control frames
	// maxLiveClients bounds open websockets (each holds a goroutine pair
	// and buffers). Issue 7 asks for 500 dashboards at once; the load
	// benchmark (load_bench_test.go) runs 505 within this bound.
	maxLiveClients = 1024
)

// hub follows the store and fans its events out to the websocket clients.
// One goroutine (run) owns the set of live clients and the fan-out position;
// everyone else talks to it through channels.
type hub struct {
	st          *store.Store
	log         *slog.Logger
	checkOrigin func(*http.Request) bool
	upgrader    websocket.Upgrader

	sendBuffer int
	pageSize   int
	hubPage    int
	writeWait  time.Duration
	pongWait   time.Duration
	pingPeriod time.Duration
	maxClients int
	// oneWritePerFrame turns writeQueued's coalescing off, for the load
	// benchmark's baseline.
	oneWritePerFrame bool
	// frames shares the masking and encoding of recent events among
	// clients (framecache.go).
	frames *frameCache

	register   chan registration
	unregister chan *client
	dropAll    chan struct{}
	done       chan struct{} // closed when run returns

	mu      sync.Mutex
	running bool // set by start, cleared when run returns
	conns   int  // websocket connections being served
	connWG  sync.WaitGroup

	live atomic.Int64 // registered clients, for /healthz

	// eventFilter, when set, gives each connection the filter of the
	// events its user may see; sessionValid, when set, a check that the
	// user's session still stands, run at every ping.
	eventFilter  func(*http.Request) func(*store.Event) bool
	sessionValid func(*http.Request) func() bool
}

// client is one websocket connection.
type client struct {
	conn *websocket.Conn
	// send carries encoded frames from the hub. Only the hub sends on it
	// and closes it, which it does when it drops the client, after setting
	// closeCode and closeReason, or when the client fell behind, after
	// setting behind and resumeAfter. The writer then makes a new one
	// before it joins again.
	send        chan []byte
	closeCode   int
	closeReason string
	behind      bool
	resumeAfter uint64 // the seq of the last frame the hub queued
	// The writer's reused buffers (hub_batch.go).
	batch   [][]byte
	headers []byte
	bufs    net.Buffers
	// gone is closed when the read loop ends: the peer closed or failed.
	gone chan struct{}
	// sees filters the events this client's user may see (nil: all);
	// valid reports whether their session still stands (nil: always).
	sees  func(*store.Event) bool
	valid func() bool
}

// shows reports whether the client may be sent e.
func (c *client) shows(e *store.Event) bool { return c.sees == nil || c.sees(e) }

// registration asks the hub to add a client whose stream has been sent up
// to seq sent. The hub answers false when the client is too far behind to
// join (the gap does not fit in its buffer) and must catch up again.
type registration struct {
	c     *client
	sent  uint64
	reply chan bool
}

func newHub(st *store.Store, log *slog.Logger, checkOrigin func(*http.Request) bool) *hub {
	h := &hub{
		st:          st,
		log:         log,
		checkOrigin: checkOrigin,
		sendBuffer:  defaultSendBuffer,
		pageSize:    defaultPageSize,
		hubPage:     hubPageSize,
		writeWait:   defaultWriteWait,
		pongWait:    defaultPongWait,
		pingPeriod:  defaultPongWait * 9 / 10,
		maxClients:  maxLiveClients,
		register:    make(chan registration),
		unregister:  make(chan *client),
		dropAll:     make(chan struct{}),
		done:        make(chan struct{}),
		frames:      newFrameCache(frameCacheSize),
	}
	h.upgrader = websocket.Upgrader{
		HandshakeTimeout: 10 * time.Second,
		ReadBufferSize:   1024,
		WriteBufferSize:  4096,
		CheckOrigin:      checkOrigin,
		Error: func(w http.ResponseWriter, r *http.Request, status int, reason error) {
			writeError(w, status, "websocket: "+reason.Error())
		},
	}
	return h
}

// start marks the hub as accepting connections; run must follow.
func (h *hub) start() {
	h.mu.Lock()
	h.running = true
	h.mu.Unlock()
}

// run follows the store until ctx is done, then closes every client.
func (h *hub) run(ctx context.Context) {
	clients := map[*client]uint64{} // client -> seq of the last frame queued to it
	var last uint64                 // newest event fanned out
	defer func() {
		h.mu.Lock()
		h.running = false
		h.mu.Unlock()
		for c := range clients {
			h.drop(clients, c, websocket.CloseGoingAway, "server shutting down")
		}
		close(h.done)
	}()

	// Start at the newest event: history reaches clients through their own
	// catch-up, not through the fan-out.
	for backoff := time.Duration(0); ; {
		seq, err := h.st.LastSeq()
		if err == nil {
			last = seq
			break
		}
		backoff = nextBackoff(backoff)
		h.log.Error("read last event", "err", err, "retry_in", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
	}

	var backoff time.Duration
	for {
		// Take the channel before reading, so a commit in between wakes us.
		changed := h.st.Changed()
		evs, err := h.events(last, h.hubPage)
		wake := changed
		var retry <-chan time.Time
		if err != nil {
			backoff = nextBackoff(backoff)
			h.log.Error("read events", "err", err, "retry_in", backoff)
			wake, retry = nil, time.After(backoff)
		} else {
			backoff = 0
			last = h.broadcast(clients, last, evs)
			if len(evs) == h.hubPage {
				wake = closedChan // more are waiting: read on at once
			}
		}
		for waiting := true; waiting; {
			select {
			case <-ctx.Done():
				return
			case <-wake:
				waiting = false
			case <-retry:
				waiting = false
			case r := <-h.register:
				r.reply <- h.add(clients, last, r)
			case c := <-h.unregister:
				if _, ok := clients[c]; ok {
					delete(clients, c)
					h.live.Add(-1)
				}
			case <-h.dropAll:
				for c := range clients {
					h.drop(clients, c, websocket.CloseServiceRestart, "server dropped all clients")
				}
			}
		}
	}
}

var closedChan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

func nextBackoff(d time.Duration) time.Duration {
	return min(max(2*d, 500*time.Millisecond), 30*time.Second)
}

// broadcast queues evs to every client that has not had them and returns
// the new fan-out position. A client whose buffer is full is taken off the
// fan-out (fallBehind): it must never hold up the others.
//
// Each event is encoded once; then each client gets all of its frames in
// a row, so that its writer, woken by the first, usually finds the rest
// queued and sends them in one write (writeQueued).
func (h *hub) broadcast(clients map[*client]uint64, last uint64, evs []store.Event) uint64 {
	type frame struct {
		ev   *store.Event
		data []byte
	}
	frames := make([]frame, 0, len(evs))
	for i, e := range evs {
		last = e.Seq
		frames = append(frames, frame{&evs[i], h.frames.frame(&e)})
	}
	for c, sent := range clients {
		kept := true
		for _, f := range frames {
			if f.ev.Seq <= sent || !c.shows(f.ev) {
				continue
			}
			select {
			case c.send <- f.data:
				sent = f.ev.Seq
				continue
			default:
			}
			h.log.Debug("websocket client fell behind", "remote", c.conn.RemoteAddr().String(), "seq", f.ev.Seq)
			h.fallBehind(clients, c, sent)
			kept = false
			break
		}
		if kept {
			clients[c] = sent
		}
	}
	return last
}

// events reads stored events with personal data masked. Events whose
// frame is cached come from the cache, without copying the store's bytes;
// the others are copied, masked and encoded once, after the read.
func (h *hub) events(since uint64, limit int) ([]store.Event, error) {
	evs := make([]store.Event, 0, min(limit, 256))
	var missed []int
	err := h.st.EventsSinceFunc(since, limit, func(e store.Event) error {
		if hit, _ := h.frames.lookup(&e); !hit {
			e.Data = bytes.Clone(e.Data)
			missed = append(missed, len(evs))
		}
		evs = append(evs, e)
		return nil
	})
	for _, i := range missed {
		h.frames.mask(evs[i : i+1])
	}
	return evs, err
}

// add registers a client that has been sent events up to r.sent. Events
// between r.sent and last (committed while the client caught up, and
// already fanned out) are queued from the store first; events after last
// reach it through broadcast. So the client gets every event once.
func (h *hub) add(clients map[*client]uint64, last uint64, r registration) bool {
	sent := r.sent
	if sent < last {
		evs, err := h.events(sent, cap(r.c.send))
		if err != nil {
			h.log.Error("read events for a joining client", "err", err)
			return false
		}
		n := 0
		for n < len(evs) && evs[n].Seq <= last {
			n++
		}
		if n > 0 && n == cap(r.c.send) && evs[n-1].Seq < last {
			return false // the gap does not fit: catch up some more first
		}
		for _, e := range evs[:n] {
			if !r.c.shows(&e) {
				sent = e.Seq
				continue
			}
			r.c.send <- h.frames.frame(&e) // fits: the buffer is empty and n <= its capacity
			sent = e.Seq
		}
		// Events missing from the store (none are, today) cannot be sent;
		// go on from the fan-out position.
		sent = max(sent, last)
	}
	clients[r.c] = sent
	h.live.Add(1)
	return true
}

// fallBehind takes c off the fan-out after the frame with seq sent: its
// writer sends what is queued, then reads on from the store, as a joining
// client does, and joins again once it has caught up. In the soak (200
// dashboards, 1,000 mentions/s on 2 busy cores) dropping such clients
// instead made them reconnect thousands of times a minute, each time a
// new request, a pause and a catch-up anyway.
func (h *hub) fallBehind(clients map[*client]uint64, c *client, sent uint64) {
	c.behind, c.resumeAfter = true, sent
	close(c.send)
	delete(clients, c)
	h.live.Add(-1)
}

// drop removes a client and tells its writer to close with code.
func (h *hub) drop(clients map[*client]uint64, c *client, code int, reason string) {
	c.closeCode, c.closeReason = code, reason
	close(c.send)
	delete(clients, c)
	h.live.Add(-1)
}

// disconnectAll closes every live client (they reconnect with since). It
// returns false when the hub is not running.
func (h *hub) disconnectAll() bool {
	select {
	case h.dropAll <- struct{}{}:
		return true
	case <-h.done:
		return false
	}
}

func (h *hub) clientCount() int64 { return h.live.Load() }

// acquire admits one more connection unless the hub is not running or full.
func (h *hub) acquire() (ok bool, why string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case !h.running:
		return false, "live updates are not running"
	case h.conns >= h.maxClients:
		return false, "too many live connections"
	}
	h.conns++
	h.connWG.Add(1)
	return true, ""
}

func (h *hub) release() {
	h.mu.Lock()
	h.conns--
	h.mu.Unlock()
	h.connWG.Done()
}

// wait returns when every websocket connection has finished, which happens
// soon after run returns: each writer sends a close frame under a deadline.
func (h *hub) wait() { h.connWG.Wait() }

// serveWS answers GET /ws?since=N.
func (h *hub) serveWS(w http.ResponseWriter, r *http.Request) {
	p, err := parseParams(r, "since")
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	_, fromNewest := p.v["since"]
	fromNewest = !fromNewest
	since := p.uint("since", 0)
	if p.err != nil {
		writeError(w, http.StatusBadRequest, p.err.Error())
		return
	}
	if !h.checkOrigin(r) {
		writeError(w, http.StatusForbidden, "websocket: origin not allowed")
		return
	}
	ok, why := h.acquire()
	if !ok {
		writeError(w, http.StatusServiceUnavailable, why)
		return
	}
	defer h.release()
	head, err := h.st.LastSeq()
	if err != nil {
		h.log.Error("read last event", "err", err)
		writeError(w, http.StatusInternalServerError, "internal error: read last event")
		return
	}
	if fromNewest {
		since = head
	}
	conn, err := h.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader has answered
	}
	c := &client{conn: conn, send: make(chan []byte, h.sendBuffer), gone: make(chan struct{})}
	if h.eventFilter != nil {
		c.sees = h.eventFilter(r)
	}
	if h.sessionValid != nil {
		c.valid = h.sessionValid(r)
	}
	go h.readLoop(c)
	if since > head {
		// The client saw events this store never had: the store was
		// replaced (restored from a backup, say). Resuming would silently
		// skip the events that will get those numbers now; tell the client
		// to reload instead. Browsers see close codes, not HTTP statuses.
		h.closeWith(c, closeResync, "since is ahead of the store: reload")
	} else {
		h.writeLoop(c, since)
	}
	conn.Close()
	<-c.gone // the read loop ends once the connection is closed
}

// closeResync is the application close code that asks a client to drop
// what it has and load a fresh snapshot.
const closeResync = 4001

// readLoop keeps the read deadline fresh with pongs and notices the peer
// going away. Clients have nothing to say, so messages are discarded.
func (h *hub) readLoop(c *client) {
	defer close(c.gone)
	c.conn.SetReadLimit(maxClientMessage)
	c.conn.SetReadDeadline(time.Now().Add(h.pongWait))
	c.conn.SetPongHandler(func(string) error {
		return c.conn.SetReadDeadline(time.Now().Add(h.pongWait))
	})
	for {
		if _, _, err := c.conn.ReadMessage(); err != nil {
			return
		}
	}
}

// writeLoop owns all writes to the connection: first the backlog after
// since, straight from the store at the socket's pace, then live frames
// from the hub, with pings in between.
func (h *hub) writeLoop(c *client, since uint64) {
	ping := time.NewTicker(h.pingPeriod)
	defer ping.Stop()
	defer func() {
		select {
		case h.unregister <- c:
		case <-h.done:
		}
	}()
	for sent := since; ; {
		if !h.catchUp(c, ping, sent) {
			return
		}
		var behind bool
		if sent, behind = h.followLive(c, ping); !behind {
			return
		}
		// Fell behind: go on from the store, with a new buffer (the hub
		// closed the old one and knows c no more).
		c.behind = false
		c.send = make(chan []byte, h.sendBuffer)
	}
}

// catchUp sends c the stored events after sent, page by page at the
// socket's pace, then registers c with the hub. It reports false when the
// connection is over.
func (h *hub) catchUp(c *client, ping *time.Ticker, sent uint64) bool {
	for {
		for {
			evs, err := h.events(sent, h.pageSize)
			if err != nil {
				h.log.Error("read events for a client", "err", err)
				h.closeWith(c, websocket.CloseInternalServerErr, "store unavailable")
				return false
			}
			if sent > 0 && len(evs) > 0 && evs[0].Seq > sent+1 {
				// Retention deleted events the client has not seen (it
				// was away longer than events are kept): going on would
				// skip them silently, so it reloads its snapshot instead.
				h.closeWith(c, closeResync, "events after since were deleted by retention: reload")
				return false
			}
			// A page goes out in a few socket writes, not one per event
			// (writeFrames): 200 dashboards catching up one write per
			// event took a third of the daemon's CPU in the soak.
			batch := make([][]byte, 0, min(len(evs), maxBatchFrames))
			for _, e := range evs {
				sent = e.Seq
				if !c.shows(&e) {
					continue
				}
				if batch = append(batch, h.frames.frame(&e)); len(batch) == maxBatchFrames {
					if h.writeFrames(c, batch) != nil {
						return false
					}
					batch = batch[:0]
				}
			}
			if len(batch) > 0 && h.writeFrames(c, batch) != nil {
				return false
			}
			if len(evs) < h.pageSize {
				break
			}
			select {
			case <-c.gone:
				return false
			case <-h.done:
				h.closeWith(c, websocket.CloseGoingAway, "server shutting down")
				return false
			case <-ping.C:
				if h.write(c, websocket.PingMessage, nil) != nil {
					return false
				}
			default:
			}
		}
		reply := make(chan bool, 1)
		select {
		case h.register <- registration{c: c, sent: sent, reply: reply}:
			// The hub answers every registration it receives at once.
			if <-reply {
				return true
			}
		case <-h.done:
			h.closeWith(c, websocket.CloseGoingAway, "server shutting down")
			return false
		case <-c.gone:
			return false
		}
	}
}

// followLive writes the frames the hub queues for c, with pings in
// between, until the connection ends or the hub takes c off the fan-out
// for falling behind: then it returns behind true and the seq of the last
// frame written, from which c catches up.
func (h *hub) followLive(c *client, ping *time.Ticker) (sent uint64, behind bool) {
	for {
		select {
		case frame, ok := <-c.send:
			if !ok {
				return h.closed(c)
			}
			// The frames queued behind this one go in the same write.
			open, err := h.writeQueued(c, frame)
			if err != nil {
				return 0, false
			}
			if !open {
				return h.closed(c)
			}
		case <-ping.C:
			if c.valid != nil && !c.valid() {
				h.closeWith(c, closeSessionEnded, "session ended: log in again")
				return 0, false
			}
			if h.write(c, websocket.PingMessage, nil) != nil {
				return 0, false
			}
		case <-c.gone:
			return 0, false
		}
	}
}

// closed handles the hub closing c.send, every queued frame written: a
// client that fell behind goes on from the last of them; any other is
// closed with the hub's code.
func (h *hub) closed(c *client) (sent uint64, behind bool) {
	if c.behind {
		return c.resumeAfter, true
	}
	h.closeWith(c, c.closeCode, c.closeReason)
	return 0, false
}

// closeSessionEnded tells a client that its login ended (logout, expiry,
// an account change): reconnecting needs a new login.
const closeSessionEnded = 4401

func (h *hub) write(c *client, typ int, data []byte) error {
	c.conn.SetWriteDeadline(time.Now().Add(h.writeWait))
	return c.conn.WriteMessage(typ, data)
}

func (h *hub) closeWith(c *client, code int, reason string) {
	msg := websocket.FormatCloseMessage(code, reason)
	if err := c.conn.WriteControl(websocket.CloseMessage, msg, time.Now().Add(h.writeWait)); err != nil {
		h.log.Debug("websocket close", "err", fmt.Sprint(err))
	}
}

// connCount is the number of websocket connections being served, live or
// catching up.
func (h *hub) connCount() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.conns
}
