package fakesource

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
)

// ---------------------------------------------------------------------
// What the platform fakes (reddit, hackernews, discourse, github) share:
// an injected clock, a log of what was served, and failures on demand.
// ---------------------------------------------------------------------

// ScriptedRequest is one request a platform fake answered.
type ScriptedRequest struct {
	Method string
	Path   string
	Query  url.Values
	Header http.Header
	Status int
}

type scriptFailure struct {
	prefix     string
	code       int
	retryAfter string
	header     http.Header
	body       string
}

// scriptBase is embedded by every platform fake.
type scriptBase struct {
	now   func() time.Time
	start time.Time

	mu    sync.Mutex
	log   []ScriptedRequest
	fails []scriptFailure
}

func newScriptBase(now func() time.Time) scriptBase {
	return scriptBase{now: now, start: now()}
}

// FailNext makes the next n requests whose path starts with prefix (""
// matches any) fail with code, with a Retry-After header when retryAfter
// is not empty: 429s, 5xx and the like on demand.
func (s *scriptBase) FailNext(n int, prefix string, code int, retryAfter string) {
	s.FailNextWith(n, prefix, code, retryAfter, nil, "")
}

// FailNextWith is FailNext with extra response headers and a body.
func (s *scriptBase) FailNextWith(n int, prefix string, code int, retryAfter string, header http.Header, body string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.fails = append(s.fails, scriptFailure{prefix: prefix, code: code, retryAfter: retryAfter, header: header, body: body})
	}
}

// Requests returns every request served so far, oldest first.
func (s *scriptBase) Requests() []ScriptedRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.log)
}

// RequestsTo returns the served requests whose path starts with prefix.
func (s *scriptBase) RequestsTo(prefix string) []ScriptedRequest {
	var out []ScriptedRequest
	for _, r := range s.Requests() {
		if strings.HasPrefix(r.Path, prefix) {
			out = append(out, r)
		}
	}
	return out
}

func (s *scriptBase) elapsed() time.Duration { return s.now().Sub(s.start) }

// released reports whether something scheduled at offset at is out.
func (s *scriptBase) released(at time.Duration) bool { return at <= s.elapsed() }

// created is when a scripted item was written: published when set, else
// when it is released.
func (s *scriptBase) created(published time.Time, at time.Duration) time.Time {
	if !published.IsZero() {
		return published.UTC()
	}
	return s.start.Add(at).UTC()
}

// grown is a count that grows by perMinute from its release on.
func (s *scriptBase) grown(base, perMinute int, at time.Duration) int {
	mins := (s.elapsed() - at).Minutes()
	if mins < 0 || perMinute == 0 {
		return base
	}
	return base + int(math.Floor(mins*float64(perMinute)))
}

// serve wraps a platform's handler: injected failures first, then the
// handler, and every request logged with its status.
func (s *scriptBase) serve(w http.ResponseWriter, r *http.Request, h http.Handler) {
	sw := &scriptWriter{ResponseWriter: w, status: http.StatusOK}
	defer func() {
		s.mu.Lock()
		s.log = append(s.log, ScriptedRequest{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Header: r.Header.Clone(), Status: sw.status})
		s.mu.Unlock()
	}()
	s.mu.Lock()
	var fail *scriptFailure
	for i, f := range s.fails {
		if strings.HasPrefix(r.URL.Path, f.prefix) {
			fail = &f
			s.fails = slices.Delete(s.fails, i, i+1)
			break
		}
	}
	s.mu.Unlock()
	if fail != nil {
		for k, vs := range fail.header {
			sw.Header()[k] = vs
		}
		if fail.retryAfter != "" {
			sw.Header().Set("Retry-After", fail.retryAfter)
		}
		body := fail.body
		if body == "" {
			body = fmt.Sprintf(`{"message": %q, "error": %d}`, http.StatusText(fail.code), fail.code)
		}
		sw.Header().Set("Content-Type", "application/json; charset=utf-8")
		sw.WriteHeader(fail.code)
		fmt.Fprint(sw, body)
		return
	}
	h.ServeHTTP(sw, r)
}

type scriptWriter struct {
	http.ResponseWriter
	status int
}

func (w *scriptWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func scriptJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	w.Write(b)
}

// searchQuery is a parsed search: phrases and words, OR'd when the query
// says OR, else AND'd, plus the qualifiers the platform knows
// ("key:value").
type searchQuery struct {
	terms []string
	or    bool
	quals map[string][]string
}

// parseSearch splits a query into quoted phrases, words, OR and
// qualifiers; parentheses only group.
func parseSearch(q string) searchQuery {
	sq := searchQuery{quals: map[string][]string{}}
	var toks []string
	for i := 0; i < len(q); {
		c := q[i]
		switch {
		case c == ' ' || c == '(' || c == ')' || c == '\t' || c == '\n':
			i++
		case c == '"':
			end := strings.IndexByte(q[i+1:], '"')
			if end < 0 {
				end = len(q) - i - 1
			}
			toks = append(toks, "\x00"+q[i+1:i+1+end])
			i += end + 2
		default:
			j := i
			for j < len(q) && !strings.ContainsRune(" ()\t\n", rune(q[j])) {
				if q[j] == '"' { // key:"quoted value"
					end := strings.IndexByte(q[j+1:], '"')
					if end < 0 {
						j = len(q)
						break
					}
					j += end + 2
					continue
				}
				j++
			}
			toks = append(toks, q[i:j])
			i = j
		}
	}
	for _, t := range toks {
		switch {
		case strings.HasPrefix(t, "\x00"):
			sq.terms = append(sq.terms, strings.ToLower(t[1:]))
		case t == "OR":
			sq.or = true
		case strings.HasPrefix(t, "@"):
			sq.quals["@"] = append(sq.quals["@"], strings.ToLower(t[1:]))
		case strings.Contains(t, ":") && !strings.HasPrefix(t, ":"):
			k, v, _ := strings.Cut(t, ":")
			sq.quals[strings.ToLower(k)] = append(sq.quals[strings.ToLower(k)], strings.Trim(v, `"`))
		default:
			sq.terms = append(sq.terms, strings.ToLower(t))
		}
	}
	return sq
}

// match reports whether the texts satisfy the terms (no terms: all do).
func (sq searchQuery) match(texts ...string) bool {
	if len(sq.terms) == 0 {
		return true
	}
	all := strings.ToLower(strings.Join(texts, "\n"))
	for _, t := range sq.terms {
		hit := strings.Contains(all, t)
		if sq.or && hit {
			return true
		}
		if !sq.or && !hit {
			return false
		}
	}
	return !sq.or
}

func stripTags(s string) string {
	var b strings.Builder
	in := false
	for _, r := range s {
		switch {
		case r == '<':
			in = true
		case r == '>':
			in = false
		case !in:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// ---------------------------------------------------------------------
// Reddit
// ---------------------------------------------------------------------

// RedditPost is one scripted submission.
type RedditPost struct {
	ID            string // base-36 id, without "t3_"
	Subreddit     string
	Author        string
	Title         string
	Selftext      string
	Distinguished string // "", "moderator", "admin"
	// Published is when it was written; zero means when it is released.
	Published time.Time
	// At is when it appears, relative to the server's start.
	At             time.Duration
	Score          int
	ScorePerMinute int
	// Deleted by its author ("[deleted]" author and text) or Removed by
	// moderators ("[removed]" text).
	Deleted, Removed bool
	// HiddenComments adds a "load more" stub for that many comments.
	HiddenComments int
	Comments       []RedditComment
}

// RedditComment is one scripted comment.
type RedditComment struct {
	ID             string // base-36 id, without "t1_"
	Parent         string // parent comment id; "" for a top-level comment
	Author         string
	Body           string
	Distinguished  string
	Published      time.Time
	At             time.Duration
	Score          int
	ScorePerMinute int
}

// RedditServer speaks Reddit's JSON API: search.json (site-wide and per
// subreddit), new.json, comments/{id}.json, by_id, user comment history
// and the OAuth token endpoint, with Reddit's rate-limit headers.
type RedditServer struct {
	scriptBase

	// ClientID and ClientSecret, when set, are the OAuth app the token
	// endpoint accepts; RequireOAuth then refuses anonymous API calls.
	ClientID, ClientSecret string
	RequireOAuth           bool
	// TokenTTL is the tokens' lifetime (default an hour).
	TokenTTL time.Duration
	// Limit is the requests allowed per minute (0: unlimited, and no
	// rate-limit headers are sent).
	Limit int

	posts   []RedditPost
	tokens  map[string]time.Time // token -> expiry
	issued  int
	window  int64
	used    int
	handler http.Handler
}

// NewRedditServer returns a Reddit fake whose clock starts now.
func NewRedditServer(now func() time.Time, posts ...RedditPost) *RedditServer {
	s := &RedditServer{scriptBase: newScriptBase(now), tokens: map[string]time.Time{}}
	s.posts = posts
	mux := http.NewServeMux()
	mux.HandleFunc("GET /search.json", s.search)
	mux.HandleFunc("GET /r/{subs}/search.json", s.search)
	mux.HandleFunc("GET /r/{subs}/new.json", s.search)
	mux.HandleFunc("GET /comments/{id}", s.thread)
	mux.HandleFunc("GET /r/{sub}/comments/{id}", s.thread)
	mux.HandleFunc("GET /by_id/{names}", s.byID)
	mux.HandleFunc("GET /user/{name}/comments.json", s.userComments)
	mux.HandleFunc("POST /api/v1/access_token", s.token)
	s.handler = mux
	return s
}

// Add schedules more posts.
func (s *RedditServer) Add(posts ...RedditPost) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.posts = append(s.posts, posts...)
}

// AddComment schedules a comment on a post.
func (s *RedditServer) AddComment(postID string, c RedditComment) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.posts {
		if s.posts[i].ID == postID {
			s.posts[i].Comments = append(s.posts[i].Comments, c)
		}
	}
}

var redditUA = regexp.MustCompile(`\(by /u/[A-Za-z0-9_-]{3,20}\)$`)

func (s *RedditServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.serve(w, r, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Reddit throttles anonymous default agents to nothing.
		if !redditUA.MatchString(r.UserAgent()) {
			scriptJSON(w, http.StatusTooManyRequests, map[string]any{"message": "Too Many Requests", "error": 429})
			return
		}
		if r.URL.Path != "/api/v1/access_token" {
			if !s.authorized(w, r) || !s.countRequest(w) {
				return
			}
		}
		// Reddit accepts a trailing ".json" on every listing path.
		s.handler.ServeHTTP(w, r)
	}))
}

func (s *RedditServer) authorized(w http.ResponseWriter, r *http.Request) bool {
	auth := r.Header.Get("Authorization")
	if auth == "" && !s.RequireOAuth {
		return true
	}
	tok, ok := strings.CutPrefix(auth, "bearer ")
	if !ok {
		tok, ok = strings.CutPrefix(auth, "Bearer ")
	}
	s.mu.Lock()
	exp, known := s.tokens[tok]
	s.mu.Unlock()
	if !ok || !known || !s.now().Before(exp) {
		scriptJSON(w, http.StatusUnauthorized, map[string]any{"message": "Unauthorized", "error": 401})
		return false
	}
	return true
}

// countRequest applies Limit per clock minute with Reddit's headers.
func (s *RedditServer) countRequest(w http.ResponseWriter) bool {
	if s.Limit <= 0 {
		return true
	}
	now := s.now()
	s.mu.Lock()
	win := now.Unix() / 60
	if win != s.window {
		s.window, s.used = win, 0
	}
	s.used++
	used := s.used
	s.mu.Unlock()
	reset := (win+1)*60 - now.Unix()
	w.Header().Set("X-Ratelimit-Used", strconv.Itoa(used))
	w.Header().Set("X-Ratelimit-Remaining", strconv.FormatFloat(float64(max(s.Limit-used, 0)), 'f', 1, 64))
	w.Header().Set("X-Ratelimit-Reset", strconv.FormatInt(reset, 10))
	if used > s.Limit {
		scriptJSON(w, http.StatusTooManyRequests, map[string]any{"message": "Too Many Requests", "error": 429})
		return false
	}
	return true
}

func (s *RedditServer) token(w http.ResponseWriter, r *http.Request) {
	id, sec, ok := r.BasicAuth()
	if !ok || s.ClientID == "" || id != s.ClientID || sec != s.ClientSecret {
		scriptJSON(w, http.StatusUnauthorized, map[string]any{"message": "Unauthorized", "error": 401})
		return
	}
	if err := r.ParseForm(); err != nil || (r.PostForm.Get("grant_type") != "client_credentials" && r.PostForm.Get("grant_type") != "password") {
		scriptJSON(w, http.StatusOK, map[string]any{"error": "unsupported_grant_type"})
		return
	}
	ttl := s.TokenTTL
	if ttl <= 0 {
		ttl = time.Hour
	}
	s.mu.Lock()
	s.issued++
	tok := fmt.Sprintf("fake-reddit-token-%d", s.issued)
	s.tokens[tok] = s.now().Add(ttl)
	s.mu.Unlock()
	scriptJSON(w, http.StatusOK, map[string]any{"access_token": tok, "token_type": "bearer", "expires_in": int(ttl.Seconds()), "scope": "*"})
}

// TokensIssued counts the OAuth tokens handed out.
func (s *RedditServer) TokensIssued() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.issued
}

func (s *RedditServer) snapshot() []RedditPost {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []RedditPost
	for _, p := range s.posts {
		if s.released(p.At) {
			out = append(out, p)
		}
	}
	return out
}

func redditSlug(title string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(title) {
		switch {
		case r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			b.WriteRune(r)
		case b.Len() > 0 && !strings.HasSuffix(b.String(), "_"):
			b.WriteByte('_')
		}
		if b.Len() >= 50 {
			break
		}
	}
	return strings.Trim(b.String(), "_")
}

func (s *RedditServer) permalink(p RedditPost) string {
	return fmt.Sprintf("/r/%s/comments/%s/%s/", p.Subreddit, p.ID, redditSlug(p.Title))
}

func (s *RedditServer) postJSON(p RedditPost) map[string]any {
	n := 0
	for _, c := range p.Comments {
		if s.released(c.At) {
			n++
		}
	}
	author, text := p.Author, p.Selftext
	var removedBy any
	switch {
	case p.Deleted:
		author, text, removedBy = "[deleted]", "[deleted]", "deleted"
	case p.Removed:
		text, removedBy = "[removed]", "moderator"
	}
	var dist any
	if p.Distinguished != "" {
		dist = p.Distinguished
	}
	score := s.grown(p.Score, p.ScorePerMinute, p.At)
	return map[string]any{"kind": "t3", "data": map[string]any{
		"id": p.ID, "name": "t3_" + p.ID, "subreddit": p.Subreddit, "subreddit_name_prefixed": "r/" + p.Subreddit,
		"author": author, "author_fullname": "t2_" + strings.ToLower(redditSlug(author)), "title": p.Title, "selftext": text,
		"score": score, "ups": score, "upvote_ratio": 0.95, "num_comments": n,
		"created_utc": float64(s.created(p.Published, p.At).Unix()), "permalink": s.permalink(p),
		"url": "https://www.reddit.com" + s.permalink(p), "link_flair_text": nil, "distinguished": dist,
		"over_18": false, "is_self": true, "stickied": false, "locked": false, "removed_by_category": removedBy,
	}}
}

func listing(children []any, after string) map[string]any {
	var a any
	if after != "" {
		a = after
	}
	if children == nil {
		children = []any{}
	}
	return map[string]any{"kind": "Listing", "data": map[string]any{"after": a, "before": nil, "dist": len(children), "children": children}}
}

func (s *RedditServer) search(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	sq := parseSearch(q.Get("q"))
	var subs []string
	if v := r.PathValue("subs"); v != "" {
		subs = strings.Split(strings.ToLower(v), "+")
	}
	window := map[string]time.Duration{"hour": time.Hour, "day": 24 * time.Hour, "week": 7 * 24 * time.Hour, "month": 31 * 24 * time.Hour, "year": 366 * 24 * time.Hour}[q.Get("t")]
	now := s.now()
	var hits []RedditPost
	for _, p := range s.snapshot() {
		if len(subs) > 0 && !slices.Contains(subs, strings.ToLower(p.Subreddit)) {
			continue
		}
		if window > 0 && now.Sub(s.created(p.Published, p.At)) > window {
			continue
		}
		if strings.HasSuffix(r.URL.Path, "/search.json") && !sq.match(p.Title, p.Selftext) {
			continue
		}
		hits = append(hits, p)
	}
	slices.SortStableFunc(hits, func(a, b RedditPost) int {
		return s.created(b.Published, b.At).Compare(s.created(a.Published, a.At))
	})
	limit, _ := strconv.Atoi(q.Get("limit"))
	if limit <= 0 {
		limit = 25
	}
	limit = min(limit, 100)
	start := 0
	if after := q.Get("after"); after != "" {
		start = len(hits)
		for i, p := range hits {
			if "t3_"+p.ID == after {
				start = i + 1
			}
		}
	}
	end := min(start+limit, len(hits))
	var children []any
	for _, p := range hits[start:end] {
		children = append(children, s.postJSON(p))
	}
	next := ""
	if end < len(hits) {
		next = "t3_" + hits[end-1].ID
	}
	scriptJSON(w, http.StatusOK, listing(children, next))
}

func (s *RedditServer) find(id string) (RedditPost, bool) {
	for _, p := range s.snapshot() {
		if p.ID == id {
			return p, true
		}
	}
	return RedditPost{}, false
}

func (s *RedditServer) commentJSON(p RedditPost, c RedditComment, depth int, replies any) map[string]any {
	parent := "t3_" + p.ID
	if c.Parent != "" {
		parent = "t1_" + c.Parent
	}
	var dist any
	if c.Distinguished != "" {
		dist = c.Distinguished
	}
	return map[string]any{"kind": "t1", "data": map[string]any{
		"id": c.ID, "name": "t1_" + c.ID, "author": c.Author, "body": c.Body, "body_html": "<div class=\"md\"><p>" + c.Body + "</p></div>",
		"score": s.grown(c.Score, c.ScorePerMinute, c.At), "created_utc": float64(s.created(c.Published, c.At).Unix()),
		"depth": depth, "parent_id": parent, "link_id": "t3_" + p.ID, "distinguished": dist, "is_submitter": c.Author == p.Author,
		"subreddit": p.Subreddit, "permalink": s.permalink(p) + c.ID + "/", "replies": replies,
	}}
}

func (s *RedditServer) thread(w http.ResponseWriter, r *http.Request) {
	id := strings.TrimSuffix(r.PathValue("id"), ".json")
	p, ok := s.find(id)
	if !ok {
		scriptJSON(w, http.StatusNotFound, map[string]any{"message": "Not Found", "error": 404})
		return
	}
	var out []RedditComment
	for _, c := range p.Comments {
		if s.released(c.At) {
			out = append(out, c)
		}
	}
	var build func(parent string, depth int) []any
	build = func(parent string, depth int) []any {
		var kids []any
		for _, c := range out {
			if c.Parent != parent {
				continue
			}
			var replies any = ""
			if sub := build(c.ID, depth+1); len(sub) > 0 {
				replies = listing(sub, "")
			}
			kids = append(kids, s.commentJSON(p, c, depth, replies))
		}
		return kids
	}
	top := build("", 0)
	if p.HiddenComments > 0 {
		top = append(top, map[string]any{"kind": "more", "data": map[string]any{
			"count": p.HiddenComments, "name": "t1_more" + p.ID, "id": "more" + p.ID, "parent_id": "t3_" + p.ID, "depth": 0, "children": []string{"more" + p.ID}}})
	}
	scriptJSON(w, http.StatusOK, []any{listing([]any{s.postJSON(p)}, ""), listing(top, "")})
}

func (s *RedditServer) byID(w http.ResponseWriter, r *http.Request) {
	names := strings.Split(strings.TrimSuffix(r.PathValue("names"), ".json"), ",")
	var children []any
	for _, n := range names {
		if p, ok := s.find(strings.TrimPrefix(n, "t3_")); ok && strings.HasPrefix(n, "t3_") {
			children = append(children, s.postJSON(p))
		}
	}
	scriptJSON(w, http.StatusOK, listing(children, ""))
}

func (s *RedditServer) userComments(w http.ResponseWriter, r *http.Request) {
	name := strings.ToLower(r.PathValue("name"))
	type hit struct {
		p RedditPost
		c RedditComment
	}
	var hits []hit
	for _, p := range s.snapshot() {
		for _, c := range p.Comments {
			if s.released(c.At) && strings.ToLower(c.Author) == name {
				hits = append(hits, hit{p, c})
			}
		}
	}
	slices.SortStableFunc(hits, func(a, b hit) int {
		return s.created(b.c.Published, b.c.At).Compare(s.created(a.c.Published, a.c.At))
	})
	var children []any
	for _, h := range hits {
		children = append(children, s.commentJSON(h.p, h.c, 0, ""))
	}
	scriptJSON(w, http.StatusOK, listing(children, ""))
}

// Kilat Express on Reddit: the demo's accounts and communities.
const (
	RedditDemoBrandAccount = "KilatExpressCare"
	RedditDemoBrandSub     = "KilatExpress"
)

// RedditDemo is the demo's Reddit: a backlog from before the start, an
// Indonesian complaint the brand answers in its thread 20 seconds in
// (nested under a "same here" comment), an English complaint nobody
// answers, the brand's own announcement, a post deleted by its author,
// and an unrelated post. Scores grow minute by minute.
func RedditDemo(now func() time.Time) *RedditServer {
	start := now()
	sec := func(n int) time.Duration { return time.Duration(n) * time.Second }
	return NewRedditServer(now,
		RedditPost{ID: "1kx01a", Subreddit: "indonesia", Author: "dimas_rk", Published: start.Add(-95 * time.Minute), At: -95 * time.Minute,
			Title:    "Paket Kilat Express hilang, CS gak bales udah 3 hari",
			Selftext: "Resi KX-88213 statusnya 'dalam perjalanan' dari Senin. Chat CS Kilat Express cuma dibales bot. Ada yang pernah ngalamin?",
			Score:    14, ScorePerMinute: 3, HiddenComments: 12,
			Comments: []RedditComment{
				{ID: "c01a", Author: "sari_wd", Body: "Sama bgt, paketku juga nyangkut di gudang Cakung seminggu.", At: -80 * time.Minute, Published: start.Add(-80 * time.Minute), Score: 9},
				{ID: "c01b", Parent: "c01a", Author: RedditDemoBrandAccount, At: sec(20),
					Body: "Halo kak, mohon maaf atas ketidaknyamanannya. Kami sudah cek resi KX-88213 dan paket akan dikirim ulang hari ini. Detail sudah kami kirim via chat ya. ^AN", Score: 3, ScorePerMinute: 1},
			}},
		RedditPost{ID: "1kx01b", Subreddit: "logistics", Author: "maria_ops", Published: start.Add(-4 * time.Hour), At: -4 * time.Hour,
			Title:    "Kilat Express cut our Jakarta-Surabaya lead time to one day",
			Selftext: "Switched our SME shipments to Kilat Express last quarter, on-time rate is 97%. Anyone else using them for B2B?",
			Score:    41, ScorePerMinute: 1},
		RedditPost{ID: "1kx01c", Subreddit: "ecommerce", Author: "tkwong", At: sec(10),
			Title:    "Kilat Express charged my COD customer twice, support won't answer",
			Selftext: "Two charges for order 5521, ticket open for a week, no reply on email or Twitter. Seriously considering switching couriers.",
			Score:    3, ScorePerMinute: 6},
		RedditPost{ID: "1kx01d", Subreddit: RedditDemoBrandSub, Author: RedditDemoBrandAccount, Distinguished: "moderator", At: sec(4),
			Title:    "Jadwal operasional Kilat Express selama libur Natal & Tahun Baru",
			Selftext: "Layanan pickup tetap buka 24-26 Desember kecuali tanggal 25. Terima kasih!", Score: 8, ScorePerMinute: 1},
		RedditPost{ID: "1kx01e", Subreddit: "indonesia", Author: "anon_x", At: sec(6), Deleted: true,
			Title: "Kilat Express kurir nyebelin", Selftext: "(deleted)"},
		RedditPost{ID: "1kx01f", Subreddit: "indonesia", Author: "budi99", At: sec(8),
			Title: "Rekomendasi warung kopi di Bandung?", Selftext: "Yang buka sampai malam ya."},
	)
}
