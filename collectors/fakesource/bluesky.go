package fakesource

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// BlueskyPost is one scripted post.
type BlueskyPost struct {
	DID         string
	Handle      string
	DisplayName string
	Followers   int64
	RKey        string
	Text        string
	Langs       []string
	// ReplyParent and ReplyRoot are at:// URIs; ReplyRoot defaults to
	// ReplyParent.
	ReplyParent string
	ReplyRoot   string
	// MentionDIDs become mention facets.
	MentionDIDs []string
	// Published is the record's createdAt; zero means when released.
	Published time.Time
	// At is when the post is made, relative to the server's start.
	At time.Duration
	// Counts at release, and how they grow per minute after it.
	Likes, Reposts, Replies, Quotes int64
	LikesPerMin, RepostsPerMin      float64
}

// URI is the post's at:// URI.
func (p BlueskyPost) URI() string { return "at://" + p.DID + "/app.bsky.feed.post/" + p.RKey }

// jetEntry is one event of the fake firehose.
type jetEntry struct {
	timeUS     int64
	at         time.Duration
	collection string // "" for identity/account events
	frame      string
}

// BlueskyServer is a fake Bluesky: a Jetstream v1 /subscribe websocket
// that replays its event log from a cursor (time_us) and honours
// wantedCollections, and the XRPC methods Pantau calls (getPosts,
// getProfiles, getPostThread, createSession, refreshSession,
// searchPosts). It runs on an injected clock.
type BlueskyServer struct {
	// Identifier and Password are the account createSession accepts;
	// searchPosts needs its session (as the public AppView refuses it).
	Identifier string
	Password   string

	now   func() time.Time
	start time.Time

	mu         sync.Mutex
	posts      []BlueskyPost
	log        []jetEntry
	seq        int64
	served     []string
	conns      map[*websocket.Conn]bool
	cutAfter   int
	limited    int
	reset      time.Time
	logins     int
	sessions   map[string]bool
	sentFrames int
}

// NewBlueskyServer returns a server whose clock starts now.
func NewBlueskyServer(now func() time.Time, posts ...BlueskyPost) *BlueskyServer {
	s := &BlueskyServer{now: now, start: now(), conns: map[*websocket.Conn]bool{}, sessions: map[string]bool{}}
	s.Add(posts...)
	return s
}

// Add scripts more posts; each is also an event on the firehose.
func (s *BlueskyServer) Add(posts ...BlueskyPost) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range posts {
		s.posts = append(s.posts, p)
		s.append(p.At, "app.bsky.feed.post", func(us int64) string { return s.postFrame(p, us) })
	}
}

// AddRaw adds an event to the firehose at a time: frame gets the event's
// time_us and returns the JSON. collection is the commit's collection
// ("" for identity and account events, which every subscriber gets).
func (s *BlueskyServer) AddRaw(at time.Duration, collection string, frame func(timeUS int64) string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.append(at, collection, frame)
}

// append adds to the log with a unique, increasing time_us. s.mu held.
func (s *BlueskyServer) append(at time.Duration, collection string, frame func(int64) string) {
	s.seq++
	us := s.start.Add(at).UnixMicro() + s.seq
	s.log = append(s.log, jetEntry{timeUS: us, at: at, collection: collection, frame: frame(us)})
	sort.SliceStable(s.log, func(i, j int) bool { return s.log[i].timeUS < s.log[j].timeUS })
}

// CutAfter makes the next connection close after it has sent n frames.
func (s *BlueskyServer) CutAfter(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cutAfter = n
}

// CutStreams closes every open Jetstream connection.
func (s *BlueskyServer) CutStreams() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		c.Close()
		delete(s.conns, c)
	}
}

// RateLimit answers the next n XRPC requests with 429 and RateLimit-Reset
// as a Unix time, as Bluesky's PDS does.
func (s *BlueskyServer) RateLimit(n int, reset time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limited, s.reset = n, reset
}

// Served lists the requests answered ("GET /path?query"), in order.
func (s *BlueskyServer) Served() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.served)
}

// Logins counts createSession calls that succeeded.
func (s *BlueskyServer) Logins() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.logins
}

// FramesSent counts the Jetstream frames sent over all connections.
func (s *BlueskyServer) FramesSent() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sentFrames
}

func (s *BlueskyServer) released(p BlueskyPost) bool { return p.At <= s.now().Sub(s.start) }

func (s *BlueskyServer) createdAt(p BlueskyPost) time.Time {
	if !p.Published.IsZero() {
		return p.Published.UTC()
	}
	return s.start.Add(p.At).UTC()
}

func (s *BlueskyServer) record(p BlueskyPost) map[string]any {
	rec := map[string]any{"$type": "app.bsky.feed.post", "text": p.Text, "createdAt": s.createdAt(p).Format("2006-01-02T15:04:05.000Z")}
	if len(p.Langs) > 0 {
		rec["langs"] = p.Langs
	}
	if p.ReplyParent != "" {
		root := p.ReplyRoot
		if root == "" {
			root = p.ReplyParent
		}
		rec["reply"] = map[string]any{
			"parent": map[string]string{"uri": p.ReplyParent, "cid": "bafyreifakeparent"},
			"root":   map[string]string{"uri": root, "cid": "bafyreifakeroot"},
		}
	}
	var facets []any
	for _, d := range p.MentionDIDs {
		facets = append(facets, map[string]any{"index": map[string]int{"byteStart": 0, "byteEnd": 1},
			"features": []any{map[string]string{"$type": "app.bsky.richtext.facet#mention", "did": d}}})
	}
	if facets != nil {
		rec["facets"] = facets
	}
	return rec
}

func (s *BlueskyServer) postFrame(p BlueskyPost, us int64) string {
	b, _ := json.Marshal(map[string]any{"did": p.DID, "time_us": us, "kind": "commit", "commit": map[string]any{
		"rev": "3fake" + strconv.FormatInt(us, 36), "operation": "create", "collection": "app.bsky.feed.post", "rkey": p.RKey,
		"record": s.record(p), "cid": "bafyreifake" + p.RKey}})
	return string(b)
}

func (s *BlueskyServer) postView(p BlueskyPost) map[string]any {
	mins := math.Max(0, s.now().Sub(s.start.Add(p.At)).Minutes())
	grow := func(base int64, per float64) int64 { return base + int64(per*mins) }
	return map[string]any{
		"uri": p.URI(), "cid": "bafyreifake" + p.RKey,
		"author": map[string]any{"did": p.DID, "handle": p.Handle, "displayName": p.DisplayName, "avatar": "https://cdn.example/a.jpg",
			"createdAt": "2023-05-01T00:00:00.000Z", "labels": []any{}},
		"record":     s.record(p),
		"replyCount": grow(p.Replies, 0), "repostCount": grow(p.Reposts, p.RepostsPerMin), "likeCount": grow(p.Likes, p.LikesPerMin),
		"quoteCount": p.Quotes, "bookmarkCount": 0,
		"indexedAt": s.createdAt(p).Add(time.Second).Format("2006-01-02T15:04:05.000Z"), "labels": []any{},
	}
}

func (s *BlueskyServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.served = append(s.served, r.Method+" "+r.URL.RequestURI())
	if s.limited > 0 && strings.HasPrefix(r.URL.Path, "/xrpc/") {
		s.limited--
		w.Header().Set("RateLimit-Limit", "3000")
		w.Header().Set("RateLimit-Remaining", "0")
		w.Header().Set("RateLimit-Reset", strconv.FormatInt(s.reset.Unix(), 10))
		w.Header().Set("RateLimit-Policy", "3000;w=300")
		s.mu.Unlock()
		writeJSON(w, http.StatusTooManyRequests, map[string]string{"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"})
		return
	}
	s.mu.Unlock()
	switch r.URL.Path {
	case "/subscribe":
		s.subscribe(w, r)
	case "/xrpc/app.bsky.feed.getPosts":
		s.getPosts(w, r)
	case "/xrpc/app.bsky.actor.getProfiles":
		s.getProfiles(w, r)
	case "/xrpc/app.bsky.feed.getPostThread":
		s.getPostThread(w, r)
	case "/xrpc/com.atproto.server.createSession":
		s.createSession(w, r)
	case "/xrpc/com.atproto.server.refreshSession":
		s.refreshSession(w, r)
	case "/xrpc/app.bsky.feed.searchPosts":
		s.searchPosts(w, r)
	default:
		writeJSON(w, http.StatusNotImplemented, map[string]string{"error": "MethodNotImplemented", "message": "Method Not Implemented"})
	}
}

func xrpcError(w http.ResponseWriter, code int, name, msg string) {
	writeJSON(w, code, map[string]string{"error": name, "message": msg})
}

func (s *BlueskyServer) getPosts(w http.ResponseWriter, r *http.Request) {
	uris := r.URL.Query()["uris"]
	if len(uris) > 25 {
		xrpcError(w, http.StatusBadRequest, "InvalidRequest", "uris must not have more than 25 elements")
		return
	}
	s.mu.Lock()
	out := []any{}
	for _, u := range uris {
		for _, p := range s.posts {
			if p.URI() == u && s.released(p) {
				out = append(out, s.postView(p))
			}
		}
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"posts": out})
}

func (s *BlueskyServer) getProfiles(w http.ResponseWriter, r *http.Request) {
	actors := r.URL.Query()["actors"]
	if len(actors) > 25 {
		xrpcError(w, http.StatusBadRequest, "InvalidRequest", "actors must not have more than 25 elements")
		return
	}
	s.mu.Lock()
	out := []any{}
	for _, a := range actors {
		for _, p := range s.posts {
			if p.DID == a || strings.EqualFold(p.Handle, a) {
				out = append(out, map[string]any{"did": p.DID, "handle": p.Handle, "displayName": p.DisplayName,
					"followersCount": p.Followers, "followsCount": 12, "postsCount": 340})
				break
			}
		}
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"profiles": out})
}

func (s *BlueskyServer) getPostThread(w http.ResponseWriter, r *http.Request) {
	uri := r.URL.Query().Get("uri")
	depth, err := strconv.Atoi(r.URL.Query().Get("depth"))
	if err != nil {
		depth = 6
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var build func(u string, d int) map[string]any
	build = func(u string, d int) map[string]any {
		for _, p := range s.posts {
			if p.URI() != u || !s.released(p) {
				continue
			}
			node := map[string]any{"$type": "app.bsky.feed.defs#threadViewPost", "post": s.postView(p)}
			replies := []any{}
			if d > 0 {
				for _, c := range s.posts {
					if c.ReplyParent == u && s.released(c) {
						replies = append(replies, build(c.URI(), d-1))
					}
				}
			}
			node["replies"] = replies
			return node
		}
		return map[string]any{"$type": "app.bsky.feed.defs#notFoundPost", "uri": u, "notFound": true}
	}
	t := build(uri, depth)
	if t["notFound"] == true {
		xrpcError(w, http.StatusBadRequest, "NotFound", "Post not found: "+uri)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"thread": t})
}

// fakeJWT makes an unsigned token with an exp claim two hours ahead, which
// is what the collector reads to know when to refresh.
func (s *BlueskyServer) fakeJWT(kind string) string {
	s.seq++
	enc := base64.RawURLEncoding
	head := enc.EncodeToString([]byte(`{"alg":"ES256K","typ":"JWT"}`))
	body := enc.EncodeToString([]byte(fmt.Sprintf(`{"scope":%q,"sub":"did:plc:fakemonitor","exp":%d,"n":%d}`, kind, s.now().Add(2*time.Hour).Unix(), s.seq)))
	return head + "." + body + ".c2ln"
}

func (s *BlueskyServer) session(w http.ResponseWriter) {
	access, refresh := s.fakeJWT("com.atproto.access"), s.fakeJWT("com.atproto.refresh")
	s.sessions[access] = true
	s.sessions["refresh:"+refresh] = true
	writeJSON(w, http.StatusOK, map[string]any{"accessJwt": access, "refreshJwt": refresh, "did": "did:plc:fakemonitor", "handle": s.Identifier, "active": true})
}

func (s *BlueskyServer) createSession(w http.ResponseWriter, r *http.Request) {
	var body struct{ Identifier, Password string }
	if r.Method != http.MethodPost || json.NewDecoder(r.Body).Decode(&body) != nil {
		xrpcError(w, http.StatusBadRequest, "InvalidRequest", "bad request")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Identifier == "" || body.Identifier != s.Identifier || body.Password != s.Password {
		xrpcError(w, http.StatusUnauthorized, "AuthenticationRequired", "Invalid identifier or password")
		return
	}
	s.logins++
	s.session(w)
}

func (s *BlueskyServer) refreshSession(w http.ResponseWriter, r *http.Request) {
	tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.sessions["refresh:"+tok] {
		xrpcError(w, http.StatusBadRequest, "ExpiredToken", "Token has expired")
		return
	}
	delete(s.sessions, "refresh:"+tok)
	s.session(w)
}

// ExpireSessions makes every access token fail with ExpiredToken.
func (s *BlueskyServer) ExpireSessions() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k := range s.sessions {
		if !strings.HasPrefix(k, "refresh:") {
			delete(s.sessions, k)
		}
	}
}

func (s *BlueskyServer) searchPosts(w http.ResponseWriter, r *http.Request) {
	tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	s.mu.Lock()
	defer s.mu.Unlock()
	if tok == "" {
		xrpcError(w, http.StatusForbidden, "Forbidden", "public search is disabled")
		return
	}
	if !s.sessions[tok] {
		xrpcError(w, http.StatusBadRequest, "ExpiredToken", "Token has expired")
		return
	}
	q := r.URL.Query()
	needle := strings.ToLower(q.Get("q"))
	var since time.Time
	if v := q.Get("since"); v != "" {
		since, _ = time.Parse(time.RFC3339, v)
	}
	limit, err := strconv.Atoi(q.Get("limit"))
	if err != nil || limit <= 0 || limit > 100 {
		limit = 25
	}
	offset, _ := strconv.Atoi(q.Get("cursor"))
	var hits []BlueskyPost
	for i := len(s.posts) - 1; i >= 0; i-- { // latest first
		p := s.posts[i]
		if s.released(p) && strings.Contains(strings.ToLower(p.Text), needle) && !s.createdAt(p).Before(since) {
			hits = append(hits, p)
		}
	}
	sort.SliceStable(hits, func(i, j int) bool { return s.createdAt(hits[i]).After(s.createdAt(hits[j])) })
	out := []any{}
	for i := offset; i < len(hits) && i < offset+limit; i++ {
		out = append(out, s.postView(hits[i]))
	}
	resp := map[string]any{"posts": out, "hitsTotal": len(hits)}
	if offset+limit < len(hits) {
		resp["cursor"] = strconv.Itoa(offset + limit)
	}
	writeJSON(w, http.StatusOK, resp)
}

// wanted reports whether a subscriber asking for cols gets an event of
// collection c (identity and account events always go out).
func wanted(cols []string, c string) bool {
	if c == "" || len(cols) == 0 {
		return true
	}
	for _, w := range cols {
		if w == c || (strings.HasSuffix(w, ".*") && strings.HasPrefix(c, strings.TrimSuffix(w, "*"))) {
			return true
		}
	}
	return false
}

// subscribe serves Jetstream v1: with a cursor it replays every released
// event with time_us at or after it, then follows live; without one it
// starts at the live tip.
func (s *BlueskyServer) subscribe(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	cols := q["wantedCollections"]
	var next int64 // the first time_us to send
	if v := q.Get("cursor"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			http.Error(w, "bad cursor", http.StatusBadRequest)
			return
		}
		next = n
	}
	// The live tip is fixed before the handshake completes, so a client
	// that moves the clock right after connecting gets what it released.
	s.mu.Lock()
	if q.Get("cursor") == "" {
		next = s.now().UnixMicro()
		for _, e := range s.log {
			if e.at <= s.now().Sub(s.start) && e.timeUS >= next {
				next = e.timeUS + 1
			}
		}
	}
	s.mu.Unlock()
	c, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	s.mu.Lock()
	s.conns[c] = true
	cut := s.cutAfter
	s.cutAfter = 0
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
		c.Close()
	}()
	closed := make(chan struct{})
	go func() {
		defer close(closed)
		for {
			if _, _, err := c.NextReader(); err != nil {
				return
			}
		}
	}()
	sent := 0
	t := time.NewTicker(2 * time.Millisecond)
	defer t.Stop()
	for {
		s.mu.Lock()
		elapsed := s.now().Sub(s.start)
		var frames []string
		for _, e := range s.log {
			if e.timeUS < next {
				continue
			}
			if e.at > elapsed {
				break
			}
			// The log is in time_us order: an unreleased event stops the
			// replay, so nothing is sent out of order.
			if !wanted(cols, e.collection) {
				next = e.timeUS + 1
				continue
			}
			frames = append(frames, e.frame)
			next = e.timeUS + 1
		}
		s.mu.Unlock()
		for _, f := range frames {
			if cut > 0 && sent >= cut {
				return
			}
			if err := c.WriteMessage(websocket.TextMessage, []byte(f)); err != nil {
				return
			}
			sent++
			s.mu.Lock()
			s.sentFrames++
			s.mu.Unlock()
		}
		select {
		case <-closed:
			return
		case <-t.C:
		}
	}
}

// Bluesky demo identities.
const (
	BlueskyDemoBrandDID    = "did:plc:kilatcare0demo0brand00000"
	BlueskyDemoBrandHandle = "kilatcare.bsky.social"
)

// BlueskyDemo is a scripted Bluesky for the demo: a firehose of everyday
// posts in many languages, likes and follows, among which a few mention
// Kilat Express: a complaint whose likes and reposts climb (virality), one
// that the brand account answers in the thread, one that tags the brand by
// handle, and one nobody answers. It keeps chatting after the script.
func BlueskyDemo(now func() time.Time) *BlueskyServer {
	sec := func(n int) time.Duration { return time.Duration(n) * time.Second }
	start := now()
	rina := BlueskyPost{DID: "did:plc:rina00000000000000000000", Handle: "rina.bsky.social", DisplayName: "Rina", Followers: 12400}
	joe := BlueskyPost{DID: "did:plc:joe0000000000000000000000", Handle: "joe.example.com", DisplayName: "Joe", Followers: 230}
	putu := BlueskyPost{DID: "did:plc:putu000000000000000000000", Handle: "putu.bsky.social", DisplayName: "Putu", Followers: 88}
	care := BlueskyPost{DID: BlueskyDemoBrandDID, Handle: BlueskyDemoBrandHandle, DisplayName: "Kilat Express Care", Followers: 15300}
	with := func(a BlueskyPost, rkey, text, lang string, at time.Duration) BlueskyPost {
		a.RKey, a.Text, a.Langs, a.At = rkey, text, []string{lang}, at
		return a
	}
	viral := with(rina, "3kdemoviral1", "Kilat Express ngilangin paket laptop gue, 2 minggu gak ada kabar. CS cuma bilang 'mohon ditunggu'. Parah banget, jangan pakai Kilat Express!!", "id", sec(3))
	viral.LikesPerMin, viral.RepostsPerMin, viral.Replies = 40, 12, 4
	question := with(joe, "3kdemoq00001", "Has anyone had a refund from Kilat Express? My parcel was returned to sender for no reason.", "en", sec(6))
	answer := with(care, "3kdemoans001", "We're sorry about this, Joe. Please DM us your tracking number and we'll check why it was returned and arrange the refund today. ^DS", "en", sec(12))
	answer.ReplyParent = question.URI()
	tagged := with(putu, "3kdemotag001", "@kilatcare.bsky.social paketku nyangkut di gudang Denpasar dari kemarin, tolong dicek ya", "id", sec(9))
	tagged.MentionDIDs = []string{BlueskyDemoBrandDID}
	old := with(joe, "3kdemoold001", "Kilat Express tracking page has been down all morning", "en", -40*time.Minute)
	old.Published = start.Add(-40 * time.Minute)
	s := NewBlueskyServer(now, old, viral, question, tagged, answer)
	chatter := []struct{ text, lang string }{
		{"good morning everyone ☀️", "en"}, {"selamat pagi, macet banget hari ini", "id"}, {"今日はいい天気ですね", "ja"},
		{"bom dia! café e código", "pt"}, {"wer kommt heute zum Treffen?", "de"}, {"just shipped a new release of my side project", "en"},
		{"kopi dulu biar semangat", "id"}, {"¿alguien vio el partido anoche?", "es"}, {"the express train was late again", "en"},
	}
	for i := 0; i < 600; i++ {
		c := chatter[i%len(chatter)]
		a := BlueskyPost{DID: fmt.Sprintf("did:plc:chatter%018d", i%50), Handle: fmt.Sprintf("user%d.bsky.social", i%50), Followers: int64(10 + i%300)}
		s.Add(with(a, fmt.Sprintf("3kchat%06d", i), c.text, c.lang, sec(1)+time.Duration(i)*1500*time.Millisecond))
		at := sec(1) + time.Duration(i)*1500*time.Millisecond + 700*time.Millisecond
		like := i
		s.AddRaw(at, "app.bsky.feed.like", func(us int64) string {
			return fmt.Sprintf(`{"did":"did:plc:liker%020d","time_us":%d,"kind":"commit","commit":{"rev":"3lk%d","operation":"create","collection":"app.bsky.feed.like","rkey":"3lk%06d","record":{"$type":"app.bsky.feed.like","createdAt":"2026-01-01T00:00:00.000Z","subject":{"cid":"bafyreifake","uri":"at://did:plc:chatter%018d/app.bsky.feed.post/3kchat%06d"}},"cid":"bafyreifakelike"}}`, like%70, us, like, like, like%50, like)
		})
	}
	return s
}
