package collectors

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/gorilla/websocket"

	"github.com/pantau/pantau/store"
)

// This file holds Bluesky's live path, the Jetstream firehose, and the
// websocket plumbing it shares with Mastodon's streaming API.

const (
	// DefaultJetstreamURL is a public Jetstream v1 endpoint.
	DefaultJetstreamURL = "wss://jetstream2.us-east.bsky.network/subscribe"
	// jetRewind: on reconnect the stream resumes this far before the
	// stored cursor, as Jetstream's docs advise (delivery is at least
	// once, and cursors differ slightly between instances).
	jetRewind = 5 * time.Second
	// jetMaxFrameBytes: a post is a few KiB; a bigger frame is skipped
	// (and reported) without dropping the connection.
	jetMaxFrameBytes = 256 << 10
	// jetHardFrameBytes is asked of the server as maxMessageSizeBytes and
	// set as the socket's read limit, so no frame can be big enough to
	// break the connection over and over at the same cursor.
	jetHardFrameBytes = 4 << 20
	// Jetstream sends constantly; a minute of silence is a dead socket.
	jetReadTimeout = 60 * time.Second
	jetPing        = 30 * time.Second
	// jetFlushEvery: matched posts are handed on within about this long.
	jetFlushEvery = time.Second
	// jetCursorTicks: with nothing matched, the cursor is still stored
	// every this many flush ticks, so a restart after a quiet hour does
	// not replay the hour.
	jetCursorTicks = 5
	// jetMaxPending flushes at once when this many matches wait.
	jetMaxPending = 200
	// jetRecentMax bounds the at:// URIs the cursor carries from the
	// rewind window, so a restarted process does not emit them again.
	jetRecentMax = 256
	// jetSeenSize is the in-memory dedup set of emitted URIs.
	jetSeenSize = 8192
	// jetQueue is the bounded hand-off between the socket reader and the
	// matcher: when matching falls behind, reading waits (backpressure)
	// instead of memory growing.
	jetQueue = 512
	// jetEnrichTimeout bounds the profile look-up before a flush.
	jetEnrichTimeout = 5 * time.Second
)

// socialFIFO is a bounded map that forgets its oldest entries first. It is
// the memory of ids and URIs seen, where recency is what matters and an
// occasional forgotten entry only costs a duplicate the store drops.
type socialFIFO[K comparable, V any] struct {
	mu    sync.Mutex
	max   int
	m     map[K]V
	order []K // ring of keys, oldest at head
	head  int
}

func newSocialFIFO[K comparable, V any](max int) *socialFIFO[K, V] {
	return &socialFIFO[K, V]{max: max, m: make(map[K]V)}
}

func (c *socialFIFO[K, V]) get(k K) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[k]
	return v, ok
}

func (c *socialFIFO[K, V]) put(k K, v V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[k]; ok {
		c.m[k] = v
		return
	}
	if len(c.order) < c.max {
		c.order = append(c.order, k)
	} else {
		delete(c.m, c.order[c.head])
		c.order[c.head] = k
		c.head = (c.head + 1) % c.max
	}
	c.m[k] = v
}

// each calls fn for every entry, oldest first.
func (c *socialFIFO[K, V]) each(fn func(K, V)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := len(c.order)
	for i := 0; i < n; i++ {
		k := c.order[(c.head+i)%n]
		if v, ok := c.m[k]; ok {
			fn(k, v)
		}
	}
}

// wsConn is a client websocket with one reader goroutine, a ping ticker
// and read deadlines, shared by Mastodon's streaming and Jetstream.
type wsConn struct {
	c    *websocket.Conn
	wmu  sync.Mutex
	done chan struct{}
	once sync.Once

	mu      sync.Mutex
	readErr error
}

// dialWS opens a websocket with the Fetcher's User-Agent. A refused
// handshake becomes a *StatusError (with Retry-After), so the scheduler
// backs off from a 429 as it does for REST.
func dialWS(ctx context.Context, f *Fetcher, rawURL string, h http.Header, readLimit int64) (*wsConn, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("websocket %s: bad URL", redactURL(rawURL))
	}
	shown := redactParsedURL(u)
	hdr := h.Clone()
	if hdr == nil {
		hdr = http.Header{}
	}
	if hdr.Get("User-Agent") == "" {
		hdr.Set("User-Agent", f.userAgent)
	}
	d := websocket.Dialer{HandshakeTimeout: 15 * time.Second, Proxy: http.ProxyFromEnvironment, ReadBufferSize: 16 << 10}
	c, resp, err := d.DialContext(ctx, rawURL, hdr)
	if err != nil {
		if resp != nil {
			head, _ := io.ReadAll(io.LimitReader(resp.Body, 4*statusBodyLimit))
			resp.Body.Close()
			return nil, &StatusError{
				Code:       resp.StatusCode,
				Body:       scrubSecrets(redactText(trimBody(head, statusBodyLimit)), u, headerSecrets(h)...),
				RetryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), f.Now()),
				URL:        shown,
				Header:     resp.Header,
			}
		}
		msg := scrubSecrets(redactText(err.Error()), u, headerSecrets(h)...)
		return nil, &redactedError{msg: fmt.Sprintf("websocket %s: %s", shown, msg), cause: ctxCause(ctx, errors.New(msg))}
	}
	c.SetReadLimit(readLimit)
	return &wsConn{c: c, done: make(chan struct{})}, nil
}

func (s *wsConn) writeText(b []byte) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	_ = s.c.SetWriteDeadline(time.Now().Add(10 * time.Second))
	return s.c.WriteMessage(websocket.TextMessage, b)
}

// Close closes the connection and stops the reader and pinger.
func (s *wsConn) Close() error {
	var err error
	s.once.Do(func() {
		close(s.done)
		err = s.c.Close()
	})
	return err
}

func (s *wsConn) err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.readErr == nil {
		return errors.New("connection closed")
	}
	return s.readErr
}

// readLoop starts the reader and the pinger and returns the frames. The
// channel closes when reading fails (err says why) or ctx ends. Frames
// bigger than soft are skipped and reported through skip, without
// dropping the connection. Deadlines use the wall clock on purpose: they
// are about the network, not about the time of the data.
func (s *wsConn) readLoop(ctx context.Context, timeout, ping time.Duration, queue int) <-chan []byte {
	return s.readLoopLimit(ctx, timeout, ping, queue, 0, nil)
}

func (s *wsConn) readLoopLimit(ctx context.Context, timeout, ping time.Duration, queue int, soft int64, skip func(error)) <-chan []byte {
	out := make(chan []byte, queue)
	extend := func() { _ = s.c.SetReadDeadline(time.Now().Add(timeout)) }
	extend()
	s.c.SetPongHandler(func(string) error { extend(); return nil })
	go func() {
		select {
		case <-ctx.Done():
			s.Close()
		case <-s.done:
		}
	}()
	go func() {
		t := time.NewTicker(ping)
		defer t.Stop()
		for {
			select {
			case <-s.done:
				return
			case <-t.C:
				s.wmu.Lock()
				err := s.c.WriteControl(websocket.PingMessage, nil, time.Now().Add(10*time.Second))
				s.wmu.Unlock()
				if err != nil {
					return
				}
			}
		}
	}()
	go func() {
		defer close(out)
		for {
			typ, r, err := s.c.NextReader()
			if err != nil {
				s.mu.Lock()
				s.readErr = err
				s.mu.Unlock()
				s.Close()
				return
			}
			extend()
			if typ != websocket.TextMessage && typ != websocket.BinaryMessage {
				continue
			}
			var frame []byte
			if soft > 0 {
				frame, err = io.ReadAll(io.LimitReader(r, soft+1))
				if err == nil && int64(len(frame)) > soft {
					n, _ := io.Copy(io.Discard, r)
					if skip != nil {
						skip(fmt.Errorf("frame of %s skipped: over the %s limit", formatBytes(int64(len(frame))+n), formatBytes(soft)))
					}
					continue
				}
			} else {
				frame, err = io.ReadAll(r)
			}
			if err != nil {
				s.mu.Lock()
				s.readErr = err
				s.mu.Unlock()
				s.Close()
				return
			}
			select {
			case out <- frame:
			case <-s.done:
				return
			}
		}
	}()
	return out
}

// jetCursor is a bluesky source's cursor, stored as JSON.
type jetCursor struct {
	// TimeUS is the Jetstream time_us of the last event handled and
	// stored.
	TimeUS int64 `json:"time_us,omitempty"`
	// Recent are the at:// URIs emitted in the rewind window before
	// TimeUS: after a restart the rewind replays them, and they are
	// skipped.
	Recent []jetRecent `json:"recent,omitempty"`
	// Search maps a searchPosts query to the newest indexedAt it found.
	Search map[string]time.Time `json:"search,omitempty"`
}

type jetRecent struct {
	URI    string `json:"uri"`
	TimeUS int64  `json:"us"`
}

func parseJetCursor(s string) jetCursor {
	var c jetCursor
	if s != "" && json.Unmarshal([]byte(s), &c) != nil {
		c = jetCursor{}
	}
	if c.Search == nil {
		c.Search = map[string]time.Time{}
	}
	return c
}

func (c *jetCursor) merge(o jetCursor) {
	if o.TimeUS > c.TimeUS {
		c.TimeUS, c.Recent = o.TimeUS, o.Recent
	}
	if c.Search == nil {
		c.Search = map[string]time.Time{}
	}
	for k, v := range o.Search {
		if v.After(c.Search[k]) {
			c.Search[k] = v
		}
	}
}

func (c jetCursor) clone() jetCursor {
	out := jetCursor{TimeUS: c.TimeUS, Recent: append([]jetRecent(nil), c.Recent...), Search: make(map[string]time.Time, len(c.Search))}
	for k, v := range c.Search {
		out.Search[k] = v
	}
	return out
}

func (c jetCursor) encode() string {
	b, _ := json.Marshal(c)
	return string(b)
}

// jetEvent is the part of a Jetstream v1 event Pantau reads.
type jetEvent struct {
	DID    string     `json:"did"`
	TimeUS int64      `json:"time_us"`
	Kind   string     `json:"kind"`
	Commit *jetCommit `json:"commit"`
}

type jetCommit struct {
	Rev        string   `json:"rev"`
	Operation  string   `json:"operation"`
	Collection string   `json:"collection"`
	RKey       string   `json:"rkey"`
	Record     *bskyRec `json:"record"`
}

// bskyRec is an app.bsky.feed.post record, as Jetstream and the AppView's
// postView.record carry it.
type bskyRec struct {
	Text      string      `json:"text"`
	CreatedAt string      `json:"createdAt"`
	Langs     []string    `json:"langs"`
	Reply     *bskyReply  `json:"reply"`
	Facets    []bskyFacet `json:"facets"`
	Tags      []string    `json:"tags"`
}

type bskyReply struct {
	Root   bskyRef `json:"root"`
	Parent bskyRef `json:"parent"`
}

type bskyRef struct {
	URI string `json:"uri"`
	CID string `json:"cid"`
}

type bskyFacet struct {
	Features []struct {
		Type string `json:"$type"`
		DID  string `json:"did"`
		Tag  string `json:"tag"`
		URI  string `json:"uri"`
	} `json:"features"`
}

const bskyPostCollection = "app.bsky.feed.post"

// jetFilter is the hot path: it sees every event of the firehose (tens to
// hundreds a second) and must throw the irrelevant ones away without
// decoding them. It looks for needles (the longest ASCII word of each
// brand term, the brand's handles and DIDs) in the lower-cased raw frame;
// only frames that contain one are decoded and matched properly. A word
// of letters and digits is never escaped in JSON, so a post whose text
// matches a term always contains its needle: the prefilter can let
// through too much (a needle inside another word, in a URL), never too
// little.
type jetFilter struct {
	needles [][]byte
	// all is set when a term has no usable needle (keywords ["*"], a
	// term of short words only, or one in a cased non-Latin script):
	// every post is then decoded.
	all bool
	buf []byte
}

func newJetFilter(terms, handles, dids []string) *jetFilter {
	f := &jetFilter{}
	for _, t := range terms {
		n, ok := jetTermNeedle(t)
		if !ok {
			f.all = true
			continue
		}
		f.needles = append(f.needles, n)
	}
	for _, s := range append(append([]string(nil), handles...), dids...) {
		if s = strings.ToLower(strings.TrimSpace(s)); s != "" {
			f.needles = append(f.needles, []byte(s))
		}
	}
	return f
}

// jetTermNeedle picks the bytes a frame must contain to possibly match term:
// its longest run of ASCII letters and digits (at least 3 long), else, for
// a caseless script (Chinese, Thai...), the whole term.
func jetTermNeedle(term string) ([]byte, bool) {
	t := normalizeForMatch(term)
	if t == "" || t == matchAll {
		return nil, false
	}
	best := ""
	for _, w := range strings.FieldsFunc(t, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9')
	}) {
		if len(w) > len(best) {
			best = w
		}
	}
	if len(best) >= 3 {
		return []byte(best), true
	}
	for _, r := range t {
		if unicode.ToUpper(r) != unicode.ToLower(r) {
			return nil, false // cased non-ASCII: lower-casing bytes is not enough
		}
	}
	return []byte(t), true
}

var (
	jetTimeKey  = []byte(`"time_us":`)
	jetPostColl = []byte(bskyPostCollection)
)

// scan reads the frame's time_us and tells whether the frame may matter.
func (f *jetFilter) scan(frame []byte) (timeUS int64, relevant bool, err error) {
	i := bytes.Index(frame, jetTimeKey)
	if i < 0 {
		return 0, false, errors.New("not a Jetstream event (no time_us)")
	}
	j := i + len(jetTimeKey)
	for j < len(frame) && frame[j] == ' ' {
		j++
	}
	k := j
	for k < len(frame) && frame[k] >= '0' && frame[k] <= '9' {
		k++
	}
	timeUS, perr := strconv.ParseInt(string(frame[j:k]), 10, 64)
	if perr != nil || timeUS <= 0 {
		return 0, false, errors.New("not a Jetstream event (bad time_us)")
	}
	// Identity and account events, and every other collection, never
	// name a post.
	if !bytes.Contains(frame, jetPostColl) {
		return timeUS, false, nil
	}
	if f.all {
		return timeUS, true, nil
	}
	f.buf = jetLowerASCII(f.buf[:0], frame)
	for _, n := range f.needles {
		if bytes.Contains(f.buf, n) {
			return timeUS, true, nil
		}
	}
	// Two non-ASCII capitals lower-case to ASCII letters (KELVIN SIGN to
	// k, DOTTED CAPITAL I to i), which the byte-wise lowering above cannot
	// see: a frame holding one is decoded and matched properly.
	for _, c := range foldsToASCII {
		if bytes.Contains(frame, c) {
			return timeUS, true, nil
		}
	}
	return timeUS, false, nil
}

// foldsToASCII are those two capitals as raw UTF-8 and as JSON escapes.
var foldsToASCII = [][]byte{
	[]byte("\u212a"), []byte("\u0130"),
	[]byte(`\u212a`), []byte(`\u212A`), []byte(`\u0130`),
}

// jetLowerASCII appends b lower-cased (ASCII letters only) to dst.
func jetLowerASCII(dst, b []byte) []byte {
	dst = append(dst, b...)
	for i, c := range dst {
		if c >= 'A' && c <= 'Z' {
			dst[i] = c + ('a' - 'A')
		}
	}
	return dst
}

// jetDecodeEvent decodes a frame the prefilter let through.
func jetDecodeEvent(frame []byte) (*jetEvent, error) {
	var ev jetEvent
	if err := json.Unmarshal(frame, &ev); err != nil {
		return nil, fmt.Errorf("malformed Jetstream event: %s", truncateUTF8(cleanText(err.Error()), 200))
	}
	return &ev, nil
}

// jetStreamState is one Stream run's working state.
type jetStreamState struct {
	b       *Bluesky
	emit    func(store.Batch) error
	cur     jetCursor
	filter  *jetFilter
	pending []store.Mention
	pendSet map[string]int64
	// processed is the time_us of the last event handled; flushed is
	// the one last stored.
	processed int64
	flushed   int64
	ticks     int
}

// Stream follows Jetstream from the cursor (rewound a few seconds), matches
// posts locally and hands on batches of matches with the cursor: at least
// every second or so when something matched, and cursor-only batches every
// few seconds otherwise. Brand posts that reply to something are always
// handed on, so the store can mark the customer's post answered. It
// returns when the connection fails; reconnecting is the scheduler's job.
func (b *Bluesky) Stream(ctx context.Context, cursor string, emit func(store.Batch) error) error {
	cur := b.startCursor(cursor)
	b.resolveBrand(ctx)
	u, err := url.Parse(b.jetstream.String())
	if err != nil {
		return fmt.Errorf("bluesky source %q: jetstream URL: %w", b.name, err)
	}
	q := u.Query()
	for _, c := range b.collections {
		q.Add("wantedCollections", c)
	}
	if cur.TimeUS > 0 {
		q.Set("cursor", strconv.FormatInt(cur.TimeUS-b.rewind.Microseconds(), 10))
	}
	q.Set("maxMessageSizeBytes", strconv.Itoa(jetHardFrameBytes))
	u.RawQuery = q.Encode()
	conn, err := dialWS(ctx, b.fetch, u.String(), nil, jetHardFrameBytes)
	if err != nil {
		return fmt.Errorf("bluesky source %q: jetstream: %w", b.name, err)
	}
	defer conn.Close()
	frames := conn.readLoopLimit(ctx, jetReadTimeout, jetPing, jetQueue, jetMaxFrameBytes, func(err error) {
		b.problem(fmt.Errorf("jetstream: %w", err))
	})
	for _, r := range cur.Recent {
		b.seen.put(r.URI, r.TimeUS)
	}
	st := &jetStreamState{b: b, emit: emit, cur: cur, filter: b.newJetFilter(), pendSet: map[string]int64{},
		processed: cur.TimeUS, flushed: cur.TimeUS}
	tick := time.NewTicker(b.tick)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			// What was matched is worth storing even on shutdown (the
			// profile look-up is skipped: ctx is done).
			_ = st.flush(ctx, true)
			return ctx.Err()
		case f, ok := <-frames:
			if !ok {
				if err := st.flush(ctx, true); err != nil {
					return err
				}
				return fmt.Errorf("bluesky source %q: jetstream: %w", b.name, conn.err())
			}
			st.handle(f)
			if len(st.pending) >= jetMaxPending {
				if err := st.flush(ctx, false); err != nil {
					return err
				}
			}
		case <-tick.C:
			st.ticks++
			force := st.ticks >= b.cursorTicks
			if len(st.pending) > 0 || force {
				if err := st.flush(ctx, force); err != nil {
					return err
				}
			}
		}
	}
}

// handle processes one frame.
func (st *jetStreamState) handle(frame []byte) {
	b := st.b
	timeUS, relevant, err := st.filter.scan(frame)
	if err != nil {
		b.problem(fmt.Errorf("jetstream: %w", err))
		return
	}
	if relevant {
		ev, err := jetDecodeEvent(frame)
		if err != nil {
			b.problem(fmt.Errorf("jetstream event at %d: %w", timeUS, err))
		} else if mn, ok := b.eventMention(ev); ok {
			// A brand reply to a customer's follow-up that Pantau never
			// stored answers the thread's first post, which it did.
			if mn.ByBrand && mn.ReplyTo != mn.ThreadRoot && !st.known(mn.ReplyTo) && st.known(mn.ThreadRoot) {
				mn.ReplyTo = mn.ThreadRoot
			}
			_, dup := b.seen.get(mn.NativeID)
			if _, pdup := st.pendSet[mn.NativeID]; !dup && !pdup {
				st.pending = append(st.pending, mn)
				st.pendSet[mn.NativeID] = ev.TimeUS
			}
		}
	}
	// A rewound replay goes back in time: the cursor never does.
	if timeUS > st.processed {
		st.processed = timeUS
	}
}

// known reports whether a mention key was emitted or is about to be.
func (st *jetStreamState) known(key string) bool {
	uri := strings.TrimPrefix(key, KindBluesky+":")
	if _, ok := st.pendSet[uri]; ok {
		return true
	}
	_, ok := st.b.seen.get(uri)
	return ok
}

// flush hands pending matches, and the cursor, to emit. Without matches it
// only emits when force is set and the cursor moved.
func (st *jetStreamState) flush(ctx context.Context, force bool) error {
	b := st.b
	if len(st.pending) == 0 && (!force || st.processed == st.flushed) {
		return nil
	}
	if len(st.pending) > 0 {
		ectx, cancel := context.WithTimeout(ctx, jetEnrichTimeout)
		b.enrich(ectx, st.pending)
		cancel()
	}
	c := st.cur.clone()
	c.TimeUS = st.processed
	c.Recent = nil
	floor := st.processed - b.rewind.Microseconds()
	add := func(uri string, us int64) {
		if us >= floor {
			c.Recent = append(c.Recent, jetRecent{URI: uri, TimeUS: us})
		}
	}
	b.seen.each(add)
	for _, mn := range st.pending {
		add(mn.NativeID, st.pendSet[mn.NativeID])
	}
	if len(c.Recent) > jetRecentMax {
		c.Recent = c.Recent[len(c.Recent)-jetRecentMax:]
	}
	enc := c.encode()
	batch := store.Batch{Source: b.name, Kind: KindBluesky, At: b.fetch.Now().UTC(), Mentions: st.pending, Cursor: &enc}
	if err := st.emit(batch); err != nil {
		// Nothing is marked seen: after the restart the stream replays
		// from the stored cursor and these come again.
		return fmt.Errorf("bluesky source %q: emit: %w", b.name, err)
	}
	for _, mn := range st.pending {
		b.seen.put(mn.NativeID, st.pendSet[mn.NativeID])
	}
	st.pending, st.pendSet = nil, map[string]int64{}
	st.flushed, st.ticks = st.processed, 0
	st.cur = c
	b.acknowledge(c)
	return nil
}

// eventMention turns a decoded event into a mention when it is a post
// about the brand, or a brand post that replies to something.
func (b *Bluesky) eventMention(ev *jetEvent) (store.Mention, bool) {
	c := ev.Commit
	if ev.Kind != "commit" || c == nil || c.Collection != bskyPostCollection || c.Record == nil {
		return store.Mention{}, false
	}
	switch c.Operation {
	case "create", "update":
	default:
		// A delete: the store has no deletion yet; the post is simply
		// not refreshed any more (getPosts leaves it out).
		return store.Mention{}, false
	}
	if !bskyValidDID(ev.DID) || !bskyValidRKey(c.RKey) {
		b.problem(fmt.Errorf("jetstream event at %d: bad did or rkey", ev.TimeUS))
		return store.Mention{}, false
	}
	uri := "at://" + ev.DID + "/" + bskyPostCollection + "/" + c.RKey
	// The event time stands in for a missing or future createdAt; an
	// absurd one (a hostile frame's) is replaced by now.
	eventTime := time.UnixMicro(ev.TimeUS).UTC()
	if y := eventTime.Year(); y < 2000 || y > 9999 {
		eventTime = b.fetch.Now()
	}
	return b.postMention(uri, ev.DID, "", "", c.Record, eventTime)
}

// postMention builds a mention from a post record (from Jetstream or a
// postView) and decides whether to keep it.
func (b *Bluesky) postMention(uri, did, handle, displayName string, rec *bskyRec, fallback time.Time) (store.Mention, bool) {
	brandPost := b.isBrandDID(did)
	text := cleanText(rec.Text)
	tags := append([]string(nil), rec.Tags...)
	mentionsBrand := false
	for _, f := range rec.Facets {
		for _, ft := range f.Features {
			switch {
			case strings.HasSuffix(ft.Type, "#mention") && b.isBrandDID(ft.DID):
				mentionsBrand = true
			case strings.HasSuffix(ft.Type, "#tag") && ft.Tag != "":
				tags = append(tags, "#"+ft.Tag)
			}
		}
	}
	matched := mentionsBrand || b.keywords.match(append([]string{text}, tags...)...) != ""
	reply := rec.Reply != nil && strings.HasPrefix(rec.Reply.Parent.URI, "at://")
	switch {
	case brandPost && (reply || matched):
	case brandPost:
		return store.Mention{}, false
	case !matched || b.exclude.match(text) != "":
		return store.Mention{}, false
	}
	lang := ""
	if len(rec.Langs) > 0 {
		lang = primaryLang(rec.Langs[0])
	}
	rkey := uri[strings.LastIndexByte(uri, '/')+1:]
	if handle == "" {
		handle = did
	}
	mn := store.Mention{
		Kind:     KindBluesky,
		Source:   b.name,
		NativeID: normalizeNativeID(uri),
		URL:      "https://bsky.app/profile/" + did + "/post/" + url.PathEscape(rkey),
		Brand:    b.brand,
		Author: store.Author{
			Handle:      truncateUTF8(cleanText(handle), maxAuthorBytes),
			DisplayName: truncateUTF8(cleanText(displayName), maxAuthorBytes),
			ProfileURL:  "https://bsky.app/profile/" + did,
		},
		Text:      truncateUTF8(text, maxTextBytes),
		Lang:      lang,
		CreatedAt: bskyCreatedAt(rec.CreatedAt, fallback),
		ByBrand:   brandPost,
	}
	if reply {
		parent := store.MentionKey(KindBluesky, normalizeNativeID(rec.Reply.Parent.URI))
		root := parent
		if strings.HasPrefix(rec.Reply.Root.URI, "at://") {
			root = store.MentionKey(KindBluesky, normalizeNativeID(rec.Reply.Root.URI))
		}
		mn.ReplyTo, mn.ThreadRoot = parent, root
	}
	return mn, true
}

// bskyCreatedAt reads a record's createdAt, which the author's client sets
// and may get wrong: a missing, broken or future date (beyond the event's
// own time plus maxFutureSkew) becomes the event's time.
func bskyCreatedAt(s string, event time.Time) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil || t.After(event.Add(maxFutureSkew)) || t.Year() < 2000 {
		return event
	}
	return t.UTC()
}

func bskyValidDID(s string) bool {
	// A DID may hold %-escapes; a broken one ("%0X") would make the
	// post's link an invalid URL.
	_, escErr := url.PathUnescape(s)
	return strings.HasPrefix(s, "did:") && len(s) <= 256 && !strings.ContainsAny(s, "/?# \t\n") && !strings.ContainsFunc(s, isHiddenRune) && escErr == nil
}

func bskyValidRKey(s string) bool {
	return s != "" && len(s) <= 512 && !strings.ContainsAny(s, "/?# \t\n") && !strings.ContainsFunc(s, isHiddenRune)
}
