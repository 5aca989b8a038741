package fakesource

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// MastodonAccount is an account on the fake server, or a remote one it
// knows (Domain set).
type MastodonAccount struct {
	ID          string
	Username    string
	DisplayName string
	// Domain is the account's server when it is remote; empty means
	// local to the fake (acct is then the bare username).
	Domain    string
	Followers int64
}

// MastodonStatus is one scripted status.
type MastodonStatus struct {
	// ID is the status's id on this server: a number, increasing with
	// time, as Mastodon's are.
	ID string
	// URI is the federation URI. Empty means a status local to the fake:
	// http://HOST/users/USERNAME/statuses/ID, built from the request.
	URI         string
	Account     MastodonAccount
	Content     string // HTML, as Mastodon sends it
	Spoiler     string
	Lang        string
	InReplyToID string
	Tags        []string
	Visibility  string // empty means public
	// Published is created_at; zero means when it is released.
	Published time.Time
	// At is when the status appears, relative to the server's start.
	At time.Duration
	// Counts at release, and how they grow per minute after it.
	Replies, Reblogs, Favourites, Quotes int64
	RepliesPerMin, ReblogsPerMin         float64
	FavouritesPerMin                     float64
	// Raw, when set, is served verbatim instead of the status's JSON:
	// for malformed and oversized statuses in tests.
	Raw string
}

// MastodonServer speaks the parts of Mastodon's API Pantau uses: hashtag
// timelines with min_id paging and Link headers, v2 search (full text and
// resolve, with the user token), statuses by id (one and batch), thread
// context, account lookup and statuses, and the streaming websocket with
// double-encoded payloads. It runs on an injected clock.
type MastodonServer struct {
	// Token is the user token that search, resolve and streaming
	// require; empty refuses them all (as Mastodon 4.2+ does without
	// one).
	Token string
	// PageLimit caps a timeline page below the API's 40, to exercise
	// paging with few statuses; 0 means 40.
	PageLimit int

	now   func() time.Time
	start time.Time

	mu       sync.Mutex
	statuses []MastodonStatus
	deleted  map[string]time.Time // id -> when
	limited  int
	retry    string
	reset    time.Time
	served   []string
	conns    map[*websocket.Conn]bool
}

// NewMastodonServer returns a server whose clock starts now.
func NewMastodonServer(now func() time.Time, statuses ...MastodonStatus) *MastodonServer {
	s := &MastodonServer{now: now, start: now(), deleted: map[string]time.Time{}, conns: map[*websocket.Conn]bool{}}
	s.Add(statuses...)
	return s
}

// Add scripts more statuses.
func (s *MastodonServer) Add(statuses ...MastodonStatus) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.statuses = append(s.statuses, statuses...)
	sort.SliceStable(s.statuses, func(i, j int) bool { return idLess(s.statuses[i].ID, s.statuses[j].ID) })
}

// Delete removes a status now; live streams get a delete event.
func (s *MastodonServer) Delete(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.deleted[id] = s.now()
}

// RateLimit answers the next n requests with 429. retryAfter, when not
// empty, is sent as Retry-After; X-RateLimit-Reset is always reset.
func (s *MastodonServer) RateLimit(n int, retryAfter string, reset time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limited, s.retry, s.reset = n, retryAfter, reset
}

// Served lists the requests answered ("GET /path?query"), in order.
func (s *MastodonServer) Served() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.served)
}

// CutStreams closes every open streaming connection.
func (s *MastodonServer) CutStreams() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		c.Close()
		delete(s.conns, c)
	}
}

func idLess(a, b string) bool {
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return a < b
}

// released returns the public statuses out now, oldest first. s.mu held.
func (s *MastodonServer) released() []MastodonStatus {
	elapsed := s.now().Sub(s.start)
	var out []MastodonStatus
	for _, st := range s.statuses {
		if st.At <= elapsed {
			if _, gone := s.deleted[st.ID]; !gone {
				out = append(out, st)
			}
		}
	}
	return out
}

func (s *MastodonServer) find(id string) (MastodonStatus, bool) {
	for _, st := range s.released() {
		if st.ID == id {
			return st, true
		}
	}
	return MastodonStatus{}, false
}

func (s *MastodonServer) authed(r *http.Request) bool {
	return s.Token != "" && r.Header.Get("Authorization") == "Bearer "+s.Token
}

func (s *MastodonServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.served = append(s.served, r.Method+" "+r.URL.RequestURI())
	if s.limited > 0 {
		s.limited--
		h := w.Header()
		h.Set("X-RateLimit-Limit", "300")
		h.Set("X-RateLimit-Remaining", "0")
		h.Set("X-RateLimit-Reset", s.reset.UTC().Format("2006-01-02T15:04:05.000Z"))
		if s.retry != "" {
			h.Set("Retry-After", s.retry)
		}
		s.mu.Unlock()
		writeJSON(w, http.StatusTooManyRequests, map[string]string{"error": "Too many requests"})
		return
	}
	s.mu.Unlock()

	p := r.URL.Path
	switch {
	case p == "/api/v1/streaming" || p == "/api/v1/streaming/":
		s.stream(w, r)
	case strings.HasPrefix(p, "/api/v1/timelines/tag/"):
		tag := strings.ToLower(strings.TrimPrefix(p, "/api/v1/timelines/tag/"))
		s.page(w, r, func(st MastodonStatus) bool { return hasTag(st, tag) && public(st) })
	case p == "/api/v2/search":
		s.search(w, r)
	case p == "/api/v1/statuses":
		s.byIDs(w, r)
	case strings.HasPrefix(p, "/api/v1/statuses/") && strings.HasSuffix(p, "/context"):
		s.context(w, r, strings.TrimSuffix(strings.TrimPrefix(p, "/api/v1/statuses/"), "/context"))
	case strings.HasPrefix(p, "/api/v1/statuses/"):
		s.mu.Lock()
		st, ok := s.find(strings.TrimPrefix(p, "/api/v1/statuses/"))
		s.mu.Unlock()
		if !ok {
			writeJSON(w, http.StatusNotFound, map[string]string{"error": "Record not found"})
			return
		}
		s.writeStatuses(w, r, []MastodonStatus{st}, true)
	case p == "/api/v1/accounts/lookup":
		s.lookup(w, r)
	case strings.HasPrefix(p, "/api/v1/accounts/") && strings.HasSuffix(p, "/statuses"):
		id := strings.TrimSuffix(strings.TrimPrefix(p, "/api/v1/accounts/"), "/statuses")
		s.page(w, r, func(st MastodonStatus) bool { return st.Account.ID == id && public(st) })
	default:
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "Not found"})
	}
}

func hasTag(st MastodonStatus, tag string) bool {
	return slices.ContainsFunc(st.Tags, func(t string) bool { return strings.EqualFold(t, tag) })
}

func public(st MastodonStatus) bool {
	return st.Visibility == "" || st.Visibility == "public" || st.Visibility == "unlisted"
}

// page serves a paginated timeline the way Mastodon does: max_id (older),
// since_id (newer, newest first) and min_id (immediately newer: the page
// just after min_id), newest first, with a Link header.
func (s *MastodonServer) page(w http.ResponseWriter, r *http.Request, keep func(MastodonStatus) bool) {
	q := r.URL.Query()
	limit := 40
	if s.PageLimit > 0 {
		limit = s.PageLimit
	}
	if n, err := strconv.Atoi(q.Get("limit")); err == nil && n > 0 && n < limit {
		limit = n
	}
	s.mu.Lock()
	var all []MastodonStatus
	for _, st := range s.released() {
		if keep(st) {
			all = append(all, st)
		}
	}
	s.mu.Unlock()
	var sel []MastodonStatus
	switch minID, sinceID, maxID := q.Get("min_id"), q.Get("since_id"), q.Get("max_id"); {
	case minID != "":
		for _, st := range all { // oldest first
			if idLess(minID, st.ID) && (maxID == "" || idLess(st.ID, maxID)) && len(sel) < limit {
				sel = append(sel, st)
			}
		}
	default:
		for i := len(all) - 1; i >= 0 && len(sel) < limit; i-- {
			st := all[i]
			if (sinceID == "" || idLess(sinceID, st.ID)) && (maxID == "" || idLess(st.ID, maxID)) {
				sel = append([]MastodonStatus{st}, sel...)
			}
		}
	}
	if len(sel) > 0 {
		base := "http://" + r.Host + r.URL.Path
		other := url.Values{}
		for k, v := range q {
			if k != "min_id" && k != "max_id" && k != "since_id" {
				other[k] = v
			}
		}
		older, newer := cloneValues(other), cloneValues(other)
		older.Set("max_id", sel[0].ID)
		newer.Set("min_id", sel[len(sel)-1].ID)
		w.Header().Set("Link", fmt.Sprintf(`<%s?%s>; rel="next", <%s?%s>; rel="prev"`, base, older.Encode(), base, newer.Encode()))
	}
	s.writeStatuses(w, r, sel, false)
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = slices.Clone(vs)
	}
	return out
}

// writeStatuses sends statuses newest first (one object when single).
func (s *MastodonServer) writeStatuses(w http.ResponseWriter, r *http.Request, sts []MastodonStatus, single bool) {
	var b strings.Builder
	if !single {
		b.WriteByte('[')
	}
	for i := len(sts) - 1; i >= 0; i-- {
		if i < len(sts)-1 {
			b.WriteByte(',')
		}
		b.WriteString(s.statusJSON(r.Host, sts[i]))
	}
	if !single {
		b.WriteByte(']')
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Write([]byte(b.String()))
}

func (s *MastodonServer) statusURI(host string, st MastodonStatus) string {
	if st.URI != "" {
		return st.URI
	}
	return "http://" + host + "/users/" + st.Account.Username + "/statuses/" + st.ID
}

// statusJSON renders a status in Mastodon's Status entity shape.
func (s *MastodonServer) statusJSON(host string, st MastodonStatus) string {
	if st.Raw != "" {
		return st.Raw
	}
	released := s.start.Add(st.At)
	mins := math.Max(0, s.now().Sub(released).Minutes())
	grow := func(base int64, perMin float64) int64 { return base + int64(perMin*mins) }
	created := st.Published
	if created.IsZero() {
		created = released
	}
	acct, profile := st.Account.Username, "http://"+host+"/@"+st.Account.Username
	if st.Account.Domain != "" {
		acct += "@" + st.Account.Domain
		profile = "https://" + st.Account.Domain + "/@" + st.Account.Username
	}
	uri := s.statusURI(host, st)
	web := "http://" + host + "/@" + acct + "/" + st.ID
	if st.URI != "" && st.Account.Domain != "" {
		web = "https://" + st.Account.Domain + "/@" + st.Account.Username + "/" + lastSeg(st.URI)
	}
	var replyTo, replyAcct any
	if st.InReplyToID != "" {
		replyTo = st.InReplyToID
		if parent, ok := s.find(st.InReplyToID); ok {
			replyAcct = parent.Account.ID
		}
	}
	var lang any
	if st.Lang != "" {
		lang = st.Lang
	}
	vis := st.Visibility
	if vis == "" {
		vis = "public"
	}
	tags := []map[string]string{}
	for _, t := range st.Tags {
		tags = append(tags, map[string]string{"name": strings.ToLower(t), "url": "http://" + host + "/tags/" + strings.ToLower(t)})
	}
	v := map[string]any{
		"id": st.ID, "created_at": created.UTC().Format("2006-01-02T15:04:05.000Z"),
		"in_reply_to_id": replyTo, "in_reply_to_account_id": replyAcct,
		"sensitive": st.Spoiler != "", "spoiler_text": st.Spoiler, "visibility": vis, "language": lang,
		"uri": uri, "url": web,
		"replies_count": grow(st.Replies, st.RepliesPerMin), "reblogs_count": grow(st.Reblogs, st.ReblogsPerMin),
		"favourites_count": grow(st.Favourites, st.FavouritesPerMin), "quotes_count": st.Quotes,
		"edited_at": nil, "content": st.Content, "reblog": nil,
		"account": map[string]any{
			"id": st.Account.ID, "username": st.Account.Username, "acct": acct, "display_name": st.Account.DisplayName,
			"url": profile, "bot": false, "followers_count": st.Account.Followers, "following_count": 10, "statuses_count": 100,
		},
		"media_attachments": []any{}, "mentions": []any{}, "tags": tags, "emojis": []any{},
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func lastSeg(u string) string { return u[strings.LastIndexByte(u, '/')+1:] }

func (s *MastodonServer) search(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	query := q.Get("q")
	empty := map[string]any{"accounts": []any{}, "statuses": []any{}, "hashtags": []any{}}
	if q.Get("resolve") == "true" && !s.authed(r) {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "The access token is invalid"})
		return
	}
	s.mu.Lock()
	all := s.released()
	s.mu.Unlock()
	var sel []MastodonStatus
	if strings.HasPrefix(query, "http://") || strings.HasPrefix(query, "https://") {
		for _, st := range all {
			if s.statusURI(r.Host, st) == query {
				sel = append(sel, st)
			}
		}
	} else if s.authed(r) && (q.Get("type") == "" || q.Get("type") == "statuses") {
		// Full-text search: only for a signed-in user, as Mastodon.
		needle := strings.ToLower(query)
		minID := q.Get("min_id")
		for _, st := range all {
			if public(st) && strings.Contains(strings.ToLower(st.Content), needle) && (minID == "" || idLess(minID, st.ID)) {
				sel = append(sel, st)
			}
		}
		if len(sel) > 40 {
			sel = sel[:40]
		}
	}
	if len(sel) == 0 {
		writeJSON(w, http.StatusOK, empty)
		return
	}
	var b strings.Builder
	b.WriteString(`{"accounts":[],"hashtags":[],"statuses":[`)
	for i := len(sel) - 1; i >= 0; i-- {
		if i < len(sel)-1 {
			b.WriteByte(',')
		}
		b.WriteString(s.statusJSON(r.Host, sel[i]))
	}
	b.WriteString(`]}`)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Write([]byte(b.String()))
}

func (s *MastodonServer) byIDs(w http.ResponseWriter, r *http.Request) {
	ids := r.URL.Query()["id[]"]
	if len(ids) > 20 {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]string{"error": "too many ids"})
		return
	}
	s.mu.Lock()
	var sel []MastodonStatus
	for i := len(ids) - 1; i >= 0; i-- { // writeStatuses reverses
		if st, ok := s.find(ids[i]); ok {
			sel = append(sel, st)
		}
	}
	s.mu.Unlock()
	s.writeStatuses(w, r, sel, false)
}

func (s *MastodonServer) context(w http.ResponseWriter, r *http.Request, id string) {
	s.mu.Lock()
	st, ok := s.find(id)
	all := s.released()
	s.mu.Unlock()
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "Record not found"})
		return
	}
	byID := map[string]MastodonStatus{}
	for _, x := range all {
		byID[x.ID] = x
	}
	var anc []MastodonStatus
	for p := st.InReplyToID; p != ""; {
		x, ok := byID[p]
		if !ok {
			break
		}
		anc = append([]MastodonStatus{x}, anc...)
		p = x.InReplyToID
	}
	in := map[string]bool{id: true}
	var desc []MastodonStatus
	for _, x := range all { // ids grow with time: parents come first
		if x.InReplyToID != "" && in[x.InReplyToID] {
			in[x.ID] = true
			desc = append(desc, x)
		}
	}
	render := func(list []MastodonStatus) string {
		parts := make([]string, len(list))
		for i, x := range list {
			parts[i] = s.statusJSON(r.Host, x)
		}
		return "[" + strings.Join(parts, ",") + "]"
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	fmt.Fprintf(w, `{"ancestors":%s,"descendants":%s}`, render(anc), render(desc))
}

func (s *MastodonServer) lookup(w http.ResponseWriter, r *http.Request) {
	acct := strings.TrimPrefix(r.URL.Query().Get("acct"), "@")
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, st := range s.statuses {
		a := st.Account
		name := a.Username
		if a.Domain != "" {
			name += "@" + a.Domain
		}
		if strings.EqualFold(name, acct) {
			writeJSON(w, http.StatusOK, map[string]any{"id": a.ID, "username": a.Username, "acct": name,
				"display_name": a.DisplayName, "url": "http://" + r.Host + "/@" + a.Username, "followers_count": a.Followers})
			return
		}
	}
	writeJSON(w, http.StatusNotFound, map[string]string{"error": "Record not found"})
}

var upgrader = websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}

// stream serves /api/v1/streaming: hashtag streams chosen in the query or
// by subscribe messages, live statuses only, each payload a JSON string.
func (s *MastodonServer) stream(w http.ResponseWriter, r *http.Request) {
	if !s.authed(r) {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "Error while trying to authenticate"})
		return
	}
	// Live only: what is out before the handshake completes is not
	// sent. Taken before upgrading, so a client that moves the clock
	// right after connecting sees what it released.
	s.mu.Lock()
	sent := map[string]bool{}
	for _, st := range s.released() {
		sent[st.ID] = true
	}
	for id := range s.deleted {
		sent["del:"+id] = true
	}
	s.mu.Unlock()
	c, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	s.mu.Lock()
	s.conns[c] = true
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
		c.Close()
	}()

	var tmu sync.Mutex
	tags := map[string]bool{}
	if q := r.URL.Query(); strings.HasPrefix(q.Get("stream"), "hashtag") && q.Get("tag") != "" {
		tags[strings.ToLower(q.Get("tag"))] = true
	}
	closed := make(chan struct{})
	go func() {
		defer close(closed)
		for {
			var msg struct{ Type, Stream, Tag string }
			if err := c.ReadJSON(&msg); err != nil {
				return
			}
			if msg.Type == "subscribe" && strings.HasPrefix(msg.Stream, "hashtag") {
				tmu.Lock()
				tags[strings.ToLower(msg.Tag)] = true
				tmu.Unlock()
			}
		}
	}()
	t := time.NewTicker(5 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-closed:
			return
		case <-t.C:
		}
		s.mu.Lock()
		var frames []any
		for _, st := range s.released() {
			if sent[st.ID] {
				continue
			}
			tmu.Lock()
			var tag string
			for _, x := range st.Tags {
				if tags[strings.ToLower(x)] {
					tag = strings.ToLower(x)
				}
			}
			tmu.Unlock()
			if tag == "" || !public(st) {
				continue
			}
			sent[st.ID] = true
			frames = append(frames, map[string]any{"stream": []string{"hashtag", tag}, "event": "update", "payload": s.statusJSON(r.Host, st)})
		}
		for id := range s.deleted {
			if !sent["del:"+id] {
				sent["del:"+id] = true
				frames = append(frames, map[string]any{"stream": []string{"hashtag"}, "event": "delete", "payload": id})
			}
		}
		s.mu.Unlock()
		for _, f := range frames {
			if err := c.WriteJSON(f); err != nil {
				return
			}
		}
	}
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

// MastodonDemoTag is the hashtag the Mastodon demo posts under.
const MastodonDemoTag = "kilatexpress"

// MastodonDemoAccount is the demo brand's account on the fake server.
const MastodonDemoAccount = "kilatcare"

// MastodonDemo is a scripted Mastodon server for the demo: Indonesian and
// English posts under #kilatexpress, one complaint whose boosts climb over
// the first half hour (virality), a thread where the brand's account
// kilatcare answers a customer, and one complaint nobody answers.
func MastodonDemo(now func() time.Time) *MastodonServer {
	care := MastodonAccount{ID: "900", Username: MastodonDemoAccount, DisplayName: "Kilat Express Care", Followers: 15300}
	sinta := MastodonAccount{ID: "101", Username: "sinta", DisplayName: "Sinta", Followers: 48200}
	bayu := MastodonAccount{ID: "102", Username: "bayu", DisplayName: "Bayu P.", Followers: 310}
	kate := MastodonAccount{ID: "103", Username: "kate", DisplayName: "Kate", Domain: "fosstodon.example", Followers: 920}
	dimas := MastodonAccount{ID: "104", Username: "dimas", DisplayName: "Dimas", Followers: 75}
	sec := func(n int) time.Duration { return time.Duration(n) * time.Second }
	start := now()
	s := NewMastodonServer(now,
		MastodonStatus{ID: "110000000000000001", Account: bayu, Lang: "id", Tags: []string{MastodonDemoTag}, Published: start.Add(-90 * time.Minute),
			Content: `<p>Paket dari <a href="http://localhost/tags/kilatexpress" class="mention hashtag">#<span>KilatExpress</span></a> udah seminggu gak gerak, cs-nya gak bales 😤</p>`,
			Replies: 1, Favourites: 3},
		MastodonStatus{ID: "110000000000000002", Account: sinta, Lang: "id", Tags: []string{MastodonDemoTag}, At: sec(2),
			Content: `<p>Kecewa bgt sama <a href="http://localhost/tags/kilatexpress" class="mention hashtag">#<span>KilatExpress</span></a>, paket COD saya hilang dan refund gak jelas. Jangan pakai kurir ini!</p>`,
			Reblogs: 2, Favourites: 5, ReblogsPerMin: 3, FavouritesPerMin: 6, RepliesPerMin: 0.5},
		MastodonStatus{ID: "110000000000000003", URI: "https://fosstodon.example/users/kate/statuses/5501", Account: kate, Lang: "en",
			Tags: []string{MastodonDemoTag}, At: sec(4),
			Content: `<p>My <a href="http://localhost/tags/kilatexpress">#KilatExpress</a> parcel arrived crushed. Anyone know how to file a damage claim?</p>`},
		MastodonStatus{ID: "110000000000000004", Account: care, Lang: "en", InReplyToID: "110000000000000003", At: sec(9),
			Content: `<p><span class="h-card"><a href="https://fosstodon.example/@kate" class="u-url mention">@<span>kate</span></a></span> We're sorry your parcel arrived damaged. Please DM us the tracking number and a photo, and we'll open the claim today. ^AW</p>`},
		MastodonStatus{ID: "110000000000000005", Account: dimas, Lang: "id", Tags: []string{MastodonDemoTag}, At: sec(14),
			Content: `<p>Kurir <a href="http://localhost/tags/kilatexpress">#KilatExpress</a> hari ini cepet banget, mantap 👍</p>`},
	)
	return s
}
