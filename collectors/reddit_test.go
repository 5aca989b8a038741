package collectors

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/pantau/pantau/collectors/fakesource"
	"github.com/pantau/pantau/store"
	"github.com/pantau/pantau/store/secret"
)

// ---------------------------------------------------------------------
// Helpers shared by the reddit, hackernews, discourse and github tests.
// ---------------------------------------------------------------------

// kx is the demo brand with its accounts on the four platforms.
var kx = Brand{
	Name:    "kilat",
	Terms:   []string{"Kilat Express", "kilatexpress"},
	Exclude: []string{"giveaway"},
	Accounts: map[string][]string{
		KindReddit:     {fakesource.RedditDemoBrandAccount},
		KindHackerNews: {fakesource.HackerNewsDemoBrandAccount},
		KindDiscourse:  {fakesource.DiscourseDemoBrandAccount},
		KindGitHub:     {fakesource.GitHubDemoBrandOrg},
	},
}

// platformRun is one test's clock, fetcher and store.
type platformRun struct {
	t   *testing.T
	clk *testClock
	f   *Fetcher
	st  *store.Store
}

func newPlatformRun(t *testing.T) *platformRun {
	t.Helper()
	clk := newTestClock()
	return &platformRun{t: t, clk: clk, f: newTestFetcher(clk), st: openStore(t, clk)}
}

// serve starts a loopback server for h.
func (p *platformRun) serve(h http.Handler) string {
	p.t.Helper()
	srv := httptest.NewServer(h)
	p.t.Cleanup(srv.Close)
	return srv.URL
}

// guarded runs fn and fails the test if it hangs: no real sleeps in these
// tests, but a bug in a rate-limit wait must not hang the suite.
func guarded[T any](t *testing.T, what string, fn func(ctx context.Context) (T, error)) (T, error) {
	t.Helper()
	type result struct {
		v   T
		err error
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch := make(chan result, 1)
	go func() {
		v, err := fn(ctx)
		ch <- result{v, err}
	}()
	r := wait(t, ch, what)
	return r.v, r.err
}

// poll polls c from cursor, ingests the batch and returns it with the new
// cursor.
func (p *platformRun) poll(c Collector, cursor string) (store.Batch, string) {
	p.t.Helper()
	b, err := guarded(p.t, "poll", func(ctx context.Context) (store.Batch, error) { return c.Poll(ctx, cursor) })
	if err != nil {
		p.t.Fatalf("poll: %v", err)
	}
	if b.Cursor == nil {
		p.t.Fatal("poll returned no cursor")
	}
	if b.Coverage == "" {
		p.t.Error("poll returned no coverage statement")
	}
	if _, err := p.st.Ingest(b); err != nil {
		p.t.Fatal(err)
	}
	return b, *b.Cursor
}

// refresh refreshes every stored mention of c's kind, ingests the batch
// and returns it.
func (p *platformRun) refresh(c Collector) store.Batch {
	p.t.Helper()
	b, err := p.tryRefresh(c)
	if err != nil {
		p.t.Fatalf("refresh: %v", err)
	}
	return b
}

func (p *platformRun) tryRefresh(c Collector) (store.Batch, error) {
	p.t.Helper()
	ms := p.stored(c.Kind())
	b, err := guarded(p.t, "refresh", func(ctx context.Context) (store.Batch, error) { return c.(Refresher).Refresh(ctx, ms) })
	if b.Cursor != nil {
		p.t.Error("refresh returned a cursor")
	}
	if _, ierr := p.st.Ingest(b); ierr != nil {
		p.t.Fatal(ierr)
	}
	return b, err
}

func (p *platformRun) stored(kind string) []store.Mention {
	p.t.Helper()
	ms, err := p.st.Mentions(store.MentionQuery{Kind: kind, Limit: 1000})
	if err != nil {
		p.t.Fatal(err)
	}
	return ms
}

func (p *platformRun) mention(key string) store.Mention {
	p.t.Helper()
	m, ok, err := p.st.Mention(key)
	if err != nil || !ok {
		p.t.Fatalf("mention %q: found=%v err=%v", key, ok, err)
	}
	return m
}

func (p *platformRun) samples(key string) []store.Sample {
	p.t.Helper()
	s, err := p.st.Samples(key)
	if err != nil {
		p.t.Fatal(err)
	}
	return s
}

func nativeIDs(ms []store.Mention) []string {
	ids := make([]string, len(ms))
	for i, m := range ms {
		ids[i] = m.NativeID
	}
	return ids
}

func sameIDs(t *testing.T, what string, got []store.Mention, want ...string) {
	t.Helper()
	g := nativeIDs(got)
	slices.Sort(g)
	w := slices.Clone(want)
	slices.Sort(w)
	if !slices.Equal(g, w) {
		t.Errorf("%s: ids = %q, want %q", what, g, w)
	}
}

func findMention(ms []store.Mention, id string) (store.Mention, bool) {
	i := slices.IndexFunc(ms, func(m store.Mention) bool { return m.NativeID == id })
	if i < 0 {
		return store.Mention{}, false
	}
	return ms[i], true
}

func findSample(b store.Batch, key string) (store.Sample, bool) {
	i := slices.IndexFunc(b.Samples, func(s store.MentionSample) bool { return s.Key == key })
	if i < 0 {
		return store.Sample{}, false
	}
	return b.Samples[i].Sample, true
}

func val(p *int64) int64 {
	if p == nil {
		return -1
	}
	return *p
}

// fixtureServer serves testdata files by path; other paths get 404.
func fixtureServer(t *testing.T, routes map[string]string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name, ok := routes[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		if strings.HasPrefix(name, "raw:") {
			fmt.Fprint(w, strings.TrimPrefix(name, "raw:"))
			return
		}
		w.Write(fixture(t, name))
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// checkGolden compares mentions with testdata/<name>, rewritten by -update.
func checkGolden(t *testing.T, name string, ms []store.Mention) {
	t.Helper()
	got, err := json.MarshalIndent(ms, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, append(got, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run %s -update to create it)", err, t.Name())
	}
	if strings.TrimSpace(string(want)) != strings.TrimSpace(string(got)) {
		t.Errorf("mentions differ from %s (run with -update if the change is intended):\n%s", path, got)
	}
}

// statusOf returns the *StatusError in err.
func statusOf(t *testing.T, err error) *StatusError {
	t.Helper()
	var se *StatusError
	if !errors.As(err, &se) {
		t.Fatalf("error %v is not a *StatusError", err)
	}
	return se
}

// ---------------------------------------------------------------------
// Reddit
// ---------------------------------------------------------------------

const testRedditUA = "linux:com.kilat.pantau:v0.1.0 (by /u/kilat_ops)"

func redditSource(url string, mutate func(*RedditConfig)) SourceConfig {
	rc := &RedditConfig{UserAgent: testRedditUA, RequestsPerMinute: maxRPM}
	if mutate != nil {
		mutate(rc)
	}
	return SourceConfig{Name: "reddit", Kind: KindReddit, URL: url, Brand: "kilat", Reddit: rc}
}

func newTestReddit(t *testing.T, p *platformRun, cfg SourceConfig) *Reddit {
	t.Helper()
	c, err := NewReddit(cfg, kx, p.f)
	if err != nil {
		t.Fatal(err)
	}
	return c.(*Reddit)
}

func TestRedditConfigValidate(t *testing.T) {
	dir := t.TempDir()
	secretFile := filepath.Join(dir, "secret")
	os.WriteFile(secretFile, []byte("s3cr3t-from-file\n"), 0o600)
	tests := map[string]struct {
		cfg  *RedditConfig
		want []string // each a line of the joined error; none means valid
	}{
		"valid":                 {cfg: &RedditConfig{UserAgent: testRedditUA}},
		"valid with oauth file": {cfg: &RedditConfig{UserAgent: testRedditUA, ClientID: "abcDEF123_-x", ClientSecretFile: secretFile, Subreddits: []string{"r/indonesia", "KilatExpress"}}},
		"valid script app":      {cfg: &RedditConfig{UserAgent: testRedditUA, ClientID: "abcDEF123_-x", ClientSecret: secret.New("s"), Username: "kilat_ops", Password: secret.New("pw")}},
		"no section":            {cfg: nil, want: []string{`sources[3].reddit.user_agent: required: Reddit asks every client for a unique User-Agent like "linux:com.example.pantau:v0.1.0 (by /u/your_reddit_user)"`}},
		"go default agent": {cfg: &RedditConfig{UserAgent: "Go-http-client/1.1"},
			want: []string{`sources[3].reddit.user_agent: "Go-http-client/1.1" is not in Reddit's format <platform>:<app id>:<version> (by /u/<username>)`}},
		"browser agent": {cfg: &RedditConfig{UserAgent: "Mozilla/5.0 (X11; Linux x86_64) Firefox/126.0"},
			want: []string{`sources[3].reddit.user_agent: "Mozilla/5.0 (X11; Linux x86_64) Firefox/126.0" is not in Reddit's format`}},
		"missing version": {cfg: &RedditConfig{UserAgent: "linux:com.kilat.pantau (by /u/kilat_ops)"},
			want: []string{`sources[3].reddit.user_agent: "linux:com.kilat.pantau (by /u/kilat_ops)" is not in Reddit's format`}},
		"missing /u/": {cfg: &RedditConfig{UserAgent: "linux:com.kilat.pantau:v1 (by kilat_ops)"},
			want: []string{`sources[3].reddit.user_agent: "linux:com.kilat.pantau:v1 (by kilat_ops)" is not in Reddit's format`}},
		"bad subreddit": {cfg: &RedditConfig{UserAgent: testRedditUA, Subreddits: []string{"indonesia", "no spaces!"}, BrandSubreddits: []string{"x"}},
			want: []string{`sources[3].reddit.subreddits[1]: "no spaces!" is not a subreddit name`, `sources[3].reddit.brand_subreddits[0]: "x" is not a subreddit name`}},
		"secret without id": {cfg: &RedditConfig{UserAgent: testRedditUA, ClientSecret: secret.New("s")},
			want: []string{"sources[3].reddit.client_id: required with client_secret"}},
		"id without secret": {cfg: &RedditConfig{UserAgent: testRedditUA, ClientID: "abcDEF123"},
			want: []string{"sources[3].reddit.client_secret: required with client_id (or client_secret_file)"}},
		"secret and file": {cfg: &RedditConfig{UserAgent: testRedditUA, ClientID: "abcDEF123", ClientSecret: secret.New("s"), ClientSecretFile: secretFile},
			want: []string{"sources[3].reddit.client_secret_file: set either the value or its _file, not both"}},
		"missing secret file": {cfg: &RedditConfig{UserAgent: testRedditUA, ClientID: "abcDEF123", ClientSecretFile: filepath.Join(dir, "nope")},
			want: []string{"sources[3].reddit.client_secret_file: read secret file: open " + filepath.Join(dir, "nope")}},
		"username without password": {cfg: &RedditConfig{UserAgent: testRedditUA, ClientID: "abcDEF123", ClientSecret: secret.New("s"), Username: "kilat_ops"},
			want: []string{"sources[3].reddit.password: required with username (or password_file)"}},
		"password without username": {cfg: &RedditConfig{UserAgent: testRedditUA, Password: secret.New("pw")},
			want: []string{"sources[3].reddit.username: required with password"}},
		"limits out of range": {cfg: &RedditConfig{UserAgent: testRedditUA, MaxPages: 11, Backfill: 10 * time.Second, RequestsPerMinute: -1},
			want: []string{
				"sources[3].reddit.max_pages: must be between 1 and 10 (0 means the default), got 11",
				"sources[3].reddit.backfill: must be between 1m and 720h0m0s (write it like 24h), got 10s",
				"sources[3].reddit.requests_per_minute: must be between 1 and 60000 (0 means the platform's documented limit), got -1",
			}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			cfg := SourceConfig{Name: "r", Kind: KindReddit, Brand: "kilat", Reddit: tc.cfg}
			err := cfg.Validate("sources[3]", []Brand{kx})
			checkFieldErrors(t, err, tc.want)
		})
	}
}

// checkFieldErrors wants one line of err per entry of want, each
// starting with it.
func checkFieldErrors(t *testing.T, err error, want []string) {
	t.Helper()
	if len(want) == 0 {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	if err == nil {
		t.Fatalf("no error, want %q", want)
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != len(want) {
		t.Fatalf("got %d errors, want %d:\n%s", len(lines), len(want), err)
	}
	for _, w := range want {
		if !slices.ContainsFunc(lines, func(l string) bool { return strings.HasPrefix(l, w) }) {
			t.Errorf("no error starting with %q in:\n%s", w, err)
		}
	}
}

func TestRedditFixture(t *testing.T) {
	p := newPlatformRun(t)
	base := fixtureServer(t, map[string]string{"/search.json": "reddit/search.json", "/user/KilatExpressCare/comments.json": `raw:{"kind":"Listing","data":{"after":null,"children":[]}}`})
	r := newTestReddit(t, p, redditSource(base, nil))
	b, _ := p.poll(r, "")
	// The deleted post, the post with a bad date and the word that only
	// looks like the brand are gone; the removed post keeps its title.
	sameIDs(t, "mentions", b.Mentions, "t3_1abc25", "t3_1abc24")
	removed, _ := findMention(b.Mentions, "t3_1abc24")
	if removed.Text != "" || removed.Title == "" || removed.URL != "https://www.reddit.com/comments/1abc24" {
		t.Errorf("removed post = %+v", removed)
	}
	if s, ok := findSample(b, "reddit:t3_1abc25"); !ok || val(s.Likes) != 14 || val(s.Replies) != 2 {
		t.Errorf("sample = %+v", s)
	}
	checkGolden(t, "reddit/poll.golden.json", b.Mentions)
}

func TestRedditPoll(t *testing.T) {
	many := func() []fakesource.RedditPost {
		var ps []fakesource.RedditPost
		for i := range 250 {
			ps = append(ps, fakesource.RedditPost{ID: fmt.Sprintf("p%03d", i), Subreddit: "indonesia", Author: "user",
				Title: fmt.Sprintf("Kilat Express #%d", i), At: -time.Duration(250-i) * time.Minute})
		}
		return ps
	}
	tests := map[string]struct {
		posts  []fakesource.RedditPost
		mutate func(*RedditConfig)
		kw     []string
		check  func(t *testing.T, b store.Batch, srv *fakesource.RedditServer)
	}{
		"site-wide search pages with after": {
			posts:  many(),
			mutate: func(c *RedditConfig) { c.Backfill = 5 * time.Hour },
			check: func(t *testing.T, b store.Batch, srv *fakesource.RedditServer) {
				if len(b.Mentions) != 250 {
					t.Errorf("%d mentions, want 250", len(b.Mentions))
				}
				reqs := srv.RequestsTo("/search.json")
				var afters []string
				for _, r := range reqs {
					afters = append(afters, r.Query.Get("after"))
					if r.Query.Get("sort") != "new" || r.Query.Get("limit") != "100" || r.Query.Get("q") != `"Kilat Express" OR kilatexpress` || r.Query.Get("t") != "day" || r.Query.Get("type") != "link" {
						t.Errorf("query = %v", r.Query)
					}
				}
				if !slices.Equal(afters, []string{"", "t3_p150", "t3_p050"}) {
					t.Errorf("after = %q", afters)
				}
			},
		},
		"paging stops at max_pages": {
			posts:  many(),
			mutate: func(c *RedditConfig) { c.Backfill = 5 * time.Hour; c.MaxPages = 2 },
			check: func(t *testing.T, b store.Batch, srv *fakesource.RedditServer) {
				if len(b.Mentions) != 200 || len(srv.RequestsTo("/search.json")) != 2 {
					t.Errorf("%d mentions from %d requests", len(b.Mentions), len(srv.RequestsTo("/search.json")))
				}
			},
		},
		"paging stops at the backfill": {
			posts:  many(),
			mutate: func(c *RedditConfig) { c.Backfill = 2 * time.Hour },
			check: func(t *testing.T, b store.Batch, srv *fakesource.RedditServer) {
				// The second page reaches posts older than two hours.
				if n := len(srv.RequestsTo("/search.json")); n != 2 || len(b.Mentions) != 119 {
					t.Errorf("%d mentions from %d requests, want 119 from 2", len(b.Mentions), n)
				}
			},
		},
		"first poll of a day back searches the week": {
			posts: many()[:1],
			check: func(t *testing.T, b store.Batch, srv *fakesource.RedditServer) {
				if got := srv.RequestsTo("/search.json")[0].Query.Get("t"); got != "week" {
					t.Errorf("t = %q", got)
				}
			},
		},
		"subreddits use restrict_sr": {
			posts: []fakesource.RedditPost{
				{ID: "a1", Subreddit: "indonesia", Author: "u1", Title: "Kilat Express telat", At: -time.Minute},
				{ID: "a2", Subreddit: "logistics", Author: "u2", Title: "Kilat Express is fast", At: -time.Minute},
			},
			mutate: func(c *RedditConfig) { c.Subreddits = []string{"r/indonesia", "KilatExpress"} },
			check: func(t *testing.T, b store.Batch, srv *fakesource.RedditServer) {
				sameIDs(t, "mentions", b.Mentions, "t3_a1")
				if r := srv.RequestsTo("/r/indonesia+KilatExpress/search.json"); len(r) != 1 || r[0].Query.Get("restrict_sr") != "1" {
					t.Errorf("requests = %+v", srv.Requests())
				}
			},
		},
		"keep every post of the brand's subreddit": {
			posts: []fakesource.RedditPost{
				{ID: "b1", Subreddit: "KilatExpress", Author: "u1", Title: "Jam buka hari Minggu?", At: -time.Minute},
				{ID: "b2", Subreddit: "indonesia", Author: "u2", Title: "Kilat Express telat", At: -time.Minute},
			},
			mutate: func(c *RedditConfig) { c.Subreddits = []string{"KilatExpress"} },
			kw:     []string{"*"},
			check: func(t *testing.T, b store.Batch, srv *fakesource.RedditServer) {
				sameIDs(t, "mentions", b.Mentions, "t3_b1")
				if len(srv.RequestsTo("/r/KilatExpress/new.json")) != 1 {
					t.Errorf("requests = %+v", srv.Requests())
				}
			},
		},
		"deleted, removed, excluded and look-alike posts": {
			posts: []fakesource.RedditPost{
				{ID: "c1", Subreddit: "indonesia", Author: "u1", Title: "Kilat Express hilangin paket", Selftext: "nomor hp saya 0812", Removed: true, At: -time.Minute},
				{ID: "c2", Subreddit: "indonesia", Author: "u2", Title: "Kilat Express kurir nyebelin", Deleted: true, At: -time.Minute},
				{ID: "c3", Subreddit: "indonesia", Author: "u3", Title: "Kilat Express GIVEAWAY 1 juta", At: -time.Minute},
				{ID: "c4", Subreddit: "indonesia", Author: "u4", Title: "kilatexpressions zine launch", At: -time.Minute},
			},
			check: func(t *testing.T, b store.Batch, srv *fakesource.RedditServer) {
				sameIDs(t, "mentions", b.Mentions, "t3_c1")
				if m := b.Mentions[0]; m.Text != "" || m.Title != "Kilat Express hilangin paket" {
					t.Errorf("removed post kept its text: %+v", m)
				}
			},
		},
		"brand comments from the account's history": {
			posts: []fakesource.RedditPost{
				{ID: "d1", Subreddit: "indonesia", Author: "u1", Title: "Kilat Express telat", At: -time.Hour, Comments: []fakesource.RedditComment{
					{ID: "k1", Author: "sari", Body: "sama", At: -50 * time.Minute},
					{ID: "k2", Parent: "k1", Author: "KilatExpressCare", Body: "Mohon maaf kak, kami cek ya.", At: -40 * time.Minute},
					{ID: "k3", Author: "KilatExpressCare", Body: "[deleted]", At: -30 * time.Minute},
				}},
			},
			check: func(t *testing.T, b store.Batch, srv *fakesource.RedditServer) {
				sameIDs(t, "mentions", b.Mentions, "t3_d1", "t1_k2")
				reply, _ := findMention(b.Mentions, "t1_k2")
				// Reddit's stored customer mentions are posts, so a brand
				// comment anywhere in the thread answers the post.
				if !reply.ByBrand || reply.ReplyTo != "reddit:t3_d1" || reply.ThreadRoot != "reddit:t3_d1" || reply.Author.Handle != "KilatExpressCare" {
					t.Errorf("brand reply = %+v", reply)
				}
			},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			p := newPlatformRun(t)
			srv := fakesource.NewRedditServer(p.clk.Now, tc.posts...)
			cfg := redditSource(p.serve(srv), tc.mutate)
			cfg.Keywords = tc.kw
			r := newTestReddit(t, p, cfg)
			b, _ := p.poll(r, "")
			for _, req := range srv.Requests() {
				if ua := req.Header.Get("User-Agent"); ua != testRedditUA {
					t.Errorf("%s sent User-Agent %q", req.Path, ua)
				}
			}
			tc.check(t, b, srv)
		})
	}
}

func TestRedditCursorAcrossRestarts(t *testing.T) {
	p := newPlatformRun(t)
	srv := fakesource.NewRedditServer(p.clk.Now,
		fakesource.RedditPost{ID: "e1", Subreddit: "indonesia", Author: "u1", Title: "Kilat Express satu", At: -10 * time.Minute},
		fakesource.RedditPost{ID: "e2", Subreddit: "indonesia", Author: "u2", Title: "Kilat Express dua", At: time.Minute},
		// Written before the first poll's newest post, but searchable
		// only later: the overlap window catches it.
		fakesource.RedditPost{ID: "e3", Subreddit: "indonesia", Author: "u3", Title: "Kilat Express tiga", Published: p.clk.Now().Add(-20 * time.Minute), At: 2 * time.Minute},
	)
	url := p.serve(srv)
	b1, cur := p.poll(newTestReddit(t, p, redditSource(url, nil)), "")
	sameIDs(t, "first poll", b1.Mentions, "t3_e1")

	// Same cursor again: nothing new, nothing twice.
	b2, cur2 := p.poll(newTestReddit(t, p, redditSource(url, nil)), cur)
	sameIDs(t, "repeat poll", b2.Mentions)
	if cur2 != cur {
		t.Errorf("cursor moved without news: %s -> %s", cur, cur2)
	}

	p.clk.Advance(3 * time.Minute)
	// A new collector, as after a restart, with the persisted cursor.
	b3, cur3 := p.poll(newTestReddit(t, p, redditSource(url, nil)), cur2)
	sameIDs(t, "after restart", b3.Mentions, "t3_e2", "t3_e3")
	var c redditCursor
	if err := json.Unmarshal([]byte(cur3), &c); err != nil || len(c.Seen) != 3 || !c.Newest.Equal(p.clk.Now().Add(-2*time.Minute).Truncate(time.Second)) {
		t.Errorf("cursor = %s (%v)", cur3, err)
	}
	// A damaged cursor costs a backfill, not a failing source; the store
	// drops the repeats.
	b4, _ := p.poll(newTestReddit(t, p, redditSource(url, nil)), "{not json")
	sameIDs(t, "damaged cursor", b4.Mentions, "t3_e1", "t3_e2", "t3_e3")
	if n := len(p.stored(KindReddit)); n != 3 {
		t.Errorf("%d stored, want 3", n)
	}
}

func TestRedditRefresh(t *testing.T) {
	p := newPlatformRun(t)
	srv := fakesource.NewRedditServer(p.clk.Now,
		fakesource.RedditPost{ID: "f1", Subreddit: "indonesia", Author: "dimas", Title: "Kilat Express paket hilang", At: -time.Hour, Score: 10, ScorePerMinute: 2, HiddenComments: 40,
			Comments: []fakesource.RedditComment{{ID: "g1", Author: "sari", Body: "sama", At: -50 * time.Minute}}},
		fakesource.RedditPost{ID: "f2", Subreddit: "ecommerce", Author: "tk", Title: "Kilat Express double charge", At: -time.Hour, Score: 1},
		fakesource.RedditPost{ID: "f3", Subreddit: "KilatExpress", Author: "someone", Title: "Kilat Express promo", At: -time.Hour},
	)
	// Polls see no brand activity: the brand account has written nothing
	// yet, so replies can only come from refreshing the threads.
	r := newTestReddit(t, p, redditSource(p.serve(srv), func(c *RedditConfig) { c.BrandSubreddits = []string{"KilatExpress"} }))
	p.poll(r, "")
	srv.AddComment("f1", fakesource.RedditComment{ID: "g2", Parent: "g1", Author: "kilatexpresscare", Body: "Mohon maaf kak, kami kirim ulang hari ini.", At: 5 * time.Minute})
	srv.AddComment("f3", fakesource.RedditComment{ID: "g3", Author: "mod_kilat", Distinguished: "moderator", Body: "Promo berlaku s/d Jumat.", At: 5 * time.Minute})
	srv.AddComment("f2", fakesource.RedditComment{ID: "g4", Author: "someone_else", Distinguished: "moderator", Body: "Locked.", At: 5 * time.Minute})

	p.clk.Advance(10 * time.Minute)
	b := p.refresh(r)
	sameIDs(t, "brand replies", b.Mentions, "t1_g2", "t1_g3")
	g2, _ := findMention(b.Mentions, "t1_g2")
	if !g2.ByBrand || g2.ReplyTo != "reddit:t3_f1" || g2.ThreadRoot != "reddit:t3_f1" {
		t.Errorf("nested brand reply = %+v", g2)
	}
	if f1 := p.mention("reddit:t3_f1"); f1.AnsweredAt == nil || f1.AnsweredBy != "kilatexpresscare" {
		t.Errorf("complaint not answered: %+v", f1)
	}
	if f2 := p.mention("reddit:t3_f2"); f2.AnsweredAt != nil {
		t.Errorf("a moderator outside the brand's subreddits answered: %+v", f2)
	}
	s, ok := findSample(b, "reddit:t3_f1")
	if !ok || val(s.Likes) != 10+2*70 || val(s.Replies) != 2 {
		t.Errorf("sample = %+v (likes %d, replies %d)", s, val(s.Likes), val(s.Replies))
	}
	if n := len(srv.RequestsTo("/by_id/")); n != 1 {
		t.Errorf("%d by_id requests, want one for all posts", n)
	}

	// Answered threads are not read again; scores still are.
	before := len(srv.RequestsTo("/comments/"))
	p.clk.Advance(10 * time.Minute)
	b = p.refresh(r)
	if got := len(srv.RequestsTo("/comments/")) - before; got != 1 {
		t.Errorf("%d thread reads, want 1 (only f2 is unanswered)", got)
	}
	if s, _ := findSample(b, "reddit:t3_f1"); val(s.Likes) != 10+2*80 {
		t.Errorf("score did not grow: %d", val(s.Likes))
	}
	if got := p.samples("reddit:t3_f1"); len(got) != 3 {
		t.Errorf("%d samples for f1, want 3 (poll and two refreshes)", len(got))
	}
}

func TestRedditThreadFixture(t *testing.T) {
	p := newPlatformRun(t)
	base := fixtureServer(t, map[string]string{
		"/comments/1abc25.json": "reddit/thread.json",
		"/by_id/t3_1abc25.json": "raw:{\"kind\":\"Listing\",\"data\":{\"children\":[]}}",
	})
	r := newTestReddit(t, p, redditSource(base, nil))
	post := store.Mention{Key: "reddit:t3_1abc25", Kind: KindReddit, NativeID: "t3_1abc25"}
	b, err := r.Refresh(context.Background(), []store.Mention{post})
	if err != nil {
		t.Fatal(err)
	}
	// The deleted brand-ish comment, the moderator outside the brand's
	// subreddits, the garbage child and the "more" stub are skipped.
	sameIDs(t, "brand replies", b.Mentions, "t1_cmt002")
	if m := b.Mentions[0]; m.ReplyTo != "reddit:t3_1abc25" || m.URL != "https://www.reddit.com/r/indonesia/comments/1abc25/paket_kilat_express_hilang/cmt002/" ||
		!m.CreatedAt.Equal(time.Unix(1717502000, 0)) {
		t.Errorf("reply = %+v", m)
	}
	if s, ok := findSample(b, "reddit:t3_1abc25"); !ok || val(s.Likes) != 57 || val(s.Replies) != 4 {
		t.Errorf("sample = %+v", s)
	}
}

func TestRedditRateLimits(t *testing.T) {
	post := fakesource.RedditPost{ID: "h1", Subreddit: "indonesia", Author: "u", Title: "Kilat Express", At: -time.Minute}
	tests := map[string]struct {
		setup     func(srv *fakesource.RedditServer)
		wantRetry time.Duration
	}{
		"429 with Retry-After": {
			setup:     func(srv *fakesource.RedditServer) { srv.FailNext(1, "/search.json", 429, "30") },
			wantRetry: 30 * time.Second,
		},
		"429 with only X-Ratelimit-Reset": {
			setup: func(srv *fakesource.RedditServer) {
				srv.FailNextWith(1, "/search.json", 429, "", http.Header{"X-Ratelimit-Remaining": {"0.0"}, "X-Ratelimit-Reset": {"42"}}, "")
			},
			wantRetry: 42 * time.Second,
		},
		"budget spent on the last allowed request": {
			// Search and the brand's history take the two requests of
			// the window; the reset is 60 s away on the test clock.
			setup:     func(srv *fakesource.RedditServer) { srv.Limit = 2 },
			wantRetry: 60 * time.Second,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			p := newPlatformRun(t)
			srv := fakesource.NewRedditServer(p.clk.Now, post)
			tc.setup(srv)
			r := newTestReddit(t, p, redditSource(p.serve(srv), nil))
			_, err := guarded(t, "poll", func(ctx context.Context) (store.Batch, error) { return r.Poll(ctx, "") })
			if srv.Limit > 0 {
				// The budget case succeeds, then holds the next poll.
				if err != nil {
					t.Fatal(err)
				}
				_, err = guarded(t, "poll", func(ctx context.Context) (store.Batch, error) { return r.Poll(ctx, "") })
			}
			se := statusOf(t, err)
			if se.Code != 429 || se.RetryAfter != tc.wantRetry || !strings.Contains(err.Error(), `reddit source "reddit"`) {
				t.Fatalf("err = %v (retry %s)", err, se.RetryAfter)
			}
			// Held: the next poll fails at once without a request.
			n := len(srv.Requests())
			p.clk.Advance(tc.wantRetry / 2)
			_, err = guarded(t, "poll", func(ctx context.Context) (store.Batch, error) { return r.Poll(ctx, "") })
			if se := statusOf(t, err); se.RetryAfter != tc.wantRetry-tc.wantRetry/2 || len(srv.Requests()) != n {
				t.Fatalf("held poll: %v, %d new requests", err, len(srv.Requests())-n)
			}
			p.clk.Advance(tc.wantRetry)
			if _, err := guarded(t, "poll", func(ctx context.Context) (store.Batch, error) { return r.Poll(ctx, "") }); err != nil {
				t.Fatalf("after the wait: %v", err)
			}
		})
	}
}

func TestRedditDefaultRateLimit(t *testing.T) {
	for name, tc := range map[string]struct {
		cfg  func(*RedditConfig)
		host string
		want rate.Limit
	}{
		"anonymous": {cfg: func(c *RedditConfig) {}, host: "www.reddit.com", want: rate.Every(6 * time.Second)},
		"oauth": {cfg: func(c *RedditConfig) { c.ClientID = "abcDEF123"; c.ClientSecret = secret.New("s") },
			host: "oauth.reddit.com", want: rate.Every(600 * time.Millisecond)},
	} {
		t.Run(name, func(t *testing.T) {
			f := NewFetcher(FetcherOptions{})
			cfg := redditSource("", tc.cfg)
			cfg.Reddit.RequestsPerMinute = 0
			if _, err := NewReddit(cfg, kx, f); err != nil {
				t.Fatal(err)
			}
			if got := f.limiter(tc.host).Limit(); got < tc.want*0.999 || got > tc.want*1.001 {
				t.Errorf("%s limit = %v, want %v", tc.host, got, tc.want)
			}
		})
	}
}

func TestRedditOAuth(t *testing.T) {
	const (
		id  = "kilatAPP_123"
		sec = "s3cr3t-reddit-value"
	)
	p := newPlatformRun(t)
	srv := fakesource.NewRedditServer(p.clk.Now, fakesource.RedditPost{ID: "i1", Subreddit: "indonesia", Author: "u", Title: "Kilat Express", At: -time.Minute})
	srv.ClientID, srv.ClientSecret, srv.RequireOAuth, srv.TokenTTL = id, sec, true, 10*time.Minute
	url := p.serve(srv)
	r := newTestReddit(t, p, redditSource(url, func(c *RedditConfig) { c.ClientID = id; c.ClientSecret = secret.New(sec) }))

	p.poll(r, "")
	p.poll(r, "")
	if n := srv.TokensIssued(); n != 1 {
		t.Fatalf("%d tokens for two polls, want the cached one", n)
	}
	tok := srv.RequestsTo("/api/v1/access_token")[0]
	if tok.Method != http.MethodPost || !strings.HasPrefix(tok.Header.Get("Authorization"), "Basic ") || tok.Header.Get("User-Agent") != testRedditUA {
		t.Errorf("token request = %+v", tok)
	}
	if got := srv.RequestsTo("/search.json")[0].Header.Get("Authorization"); got != "bearer fake-reddit-token-1" {
		t.Errorf("search Authorization = %q", got)
	}
	// Renewed before expiry (less the margin).
	p.clk.Advance(9*time.Minute + time.Second)
	p.poll(r, "")
	if n := srv.TokensIssued(); n != 2 {
		t.Errorf("%d tokens after expiry, want 2", n)
	}
	// A token revoked early (401) is renewed once and the call retried.
	srv.FailNext(1, "/search.json", 401, "")
	p.poll(r, "")
	if n := srv.TokensIssued(); n != 3 {
		t.Errorf("%d tokens after a 401, want 3", n)
	}

	// Bad credentials, and a server that echoes what it got: the error
	// names the problem, never the secrets.
	for name, mutate := range map[string]func(){
		"wrong secret": func() { srv.ClientSecret = "other" },
		"echoing 401": func() {
			srv.FailNextWith(1, "/api/v1/access_token", 401, "", nil, "bad client "+sec+" "+tok.Header.Get("Authorization")+" password=hunter2-password")
		},
		"refused grant": func() {
			srv.FailNextWith(1, "/api/v1/access_token", 200, "", nil, `{"error": "invalid_grant `+sec+`"}`)
		},
	} {
		t.Run(name, func(t *testing.T) {
			mutate()
			r := newTestReddit(t, p, redditSource(url, func(c *RedditConfig) {
				c.ClientID = id
				c.ClientSecret = secret.New(sec)
				c.Username, c.Password = "kilat_ops", secret.New("hunter2-password")
			}))
			_, err := guarded(t, "poll", func(ctx context.Context) (store.Batch, error) { return r.Poll(ctx, "") })
			if err == nil {
				t.Fatal("poll succeeded")
			}
			for _, leak := range []string{sec, "hunter2-password", strings.TrimPrefix(tok.Header.Get("Authorization"), "Basic ")} {
				if strings.Contains(err.Error(), leak) {
					t.Errorf("error leaks %q: %v", leak, err)
				}
			}
			if !strings.Contains(err.Error(), `reddit source "reddit": OAuth token`) {
				t.Errorf("error does not say what failed: %v", err)
			}
			t.Log(err)
		})
	}
}

func TestRedditMalformed(t *testing.T) {
	tests := map[string]struct {
		body    string
		maxBody int64
		want    string
	}{
		"html login page":  {body: "<html><body>Sign in</body></html>", want: `reddit source "reddit": malformed response from http://127.0.0.1`},
		"not a listing":    {body: `{"kind":"t3","data":{}}`, want: `expected a Listing, got kind "t3"`},
		"truncated json":   {body: `{"kind":"Listing","data":{"children":[`, want: "not valid JSON"},
		"wrong types":      {body: `{"kind":"Listing","data":{"children":{"a":1}}}`, want: "unexpected JSON"},
		"oversized answer": {body: `{"kind":"Listing","data":{"children":[]}}` + strings.Repeat(" ", 4096), maxBody: 1024, want: "larger than the 1 KiB limit"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			clk := newTestClock()
			base := fixtureServer(t, map[string]string{"/search.json": "raw:" + tc.body})
			f := NewFetcher(FetcherOptions{Rate: rate.Inf, Now: clk.Now, MaxBodyBytes: tc.maxBody})
			c, err := NewReddit(redditSource(base, nil), kx, f)
			if err != nil {
				t.Fatal(err)
			}
			_, err = guarded(t, "poll", func(ctx context.Context) (store.Batch, error) { return c.Poll(ctx, "") })
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), `reddit source "reddit"`) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
			if tc.maxBody > 0 && !errors.Is(err, ErrTooLarge) {
				t.Errorf("oversized: errors.Is(ErrTooLarge) is false for %v", err)
			}
		})
	}
	// In a refresh, one bad thread is reported and the others are kept.
	t.Run("refresh keeps the good threads", func(t *testing.T) {
		p := newPlatformRun(t)
		base := fixtureServer(t, map[string]string{
			"/comments/1abc25.json":                     "reddit/thread.json",
			"/comments/1bad00.json":                     "raw:[{\"kind\":\"Listing\"}]",
			"/comments/1big00.json":                     "raw:[" + strings.Repeat(`{"kind":"Listing","data":{"children":[]}},`, 30000) + "{}]",
			"/by_id/t3_1bad00,t3_1abc25,t3_1big00.json": "raw:{\"kind\":\"Listing\",\"data\":{\"children\":[]}}",
		})
		f := NewFetcher(FetcherOptions{Rate: rate.Inf, Now: p.clk.Now, MaxBodyBytes: 256 << 10})
		c, _ := NewReddit(redditSource(base, nil), kx, f)
		ms := []store.Mention{
			{Kind: KindReddit, NativeID: "t3_1bad00"}, {Kind: KindReddit, NativeID: "t3_1abc25"}, {Kind: KindReddit, NativeID: "t3_1big00"},
		}
		b, err := c.(Refresher).Refresh(context.Background(), ms)
		if err == nil || !strings.Contains(err.Error(), "malformed thread from "+base+"/comments/1bad00.json") || !errors.Is(err, ErrTooLarge) {
			t.Fatalf("err = %v", err)
		}
		sameIDs(t, "kept", b.Mentions, "t1_cmt002")
		if _, ok := findSample(b, "reddit:t3_1abc25"); !ok {
			t.Error("the good thread's sample was dropped")
		}
	})
}

// TestPlatformDemos runs the four demo scenarios the way the daemon
// would: sources built by Build from config, polled by the scheduler into
// a real store, then refreshed, and checks what the demo shows.
func TestPlatformDemos(t *testing.T) {
	p := newPlatformRun(t)
	reddit := fakesource.RedditDemo(p.clk.Now)
	hn := fakesource.HackerNewsDemo(p.clk.Now)
	forum := fakesource.DiscourseDemo(p.clk.Now)
	gh := fakesource.GitHubDemo(p.clk.Now)
	urls := map[string]string{"reddit": p.serve(reddit), "hn": p.serve(hn), "forum": p.serve(forum), "github": p.serve(gh)}
	brands := []Brand{{
		Name:  "kilat",
		Terms: []string{"Kilat Express", "kilatexpress"},
		Accounts: map[string][]string{
			KindReddit: {fakesource.RedditDemoBrandAccount}, KindHackerNews: {fakesource.HackerNewsDemoBrandAccount},
			KindDiscourse: {fakesource.DiscourseDemoBrandAccount}, KindGitHub: {fakesource.GitHubDemoBrandOrg},
		},
	}}
	// Every fake shares 127.0.0.1, so the per-host limit is raised: the
	// platforms' real limits would pace all of them together.
	sources := []SourceConfig{
		{Name: "reddit", Kind: KindReddit, URL: urls["reddit"], Reddit: &RedditConfig{UserAgent: testRedditUA, BrandSubreddits: []string{fakesource.RedditDemoBrandSub}, RequestsPerMinute: maxRPM}},
		{Name: "hn", Kind: KindHackerNews, URL: urls["hn"], HackerNews: &HackerNewsConfig{RequestsPerMinute: maxRPM}},
		{Name: "forum", Kind: KindDiscourse, URL: urls["forum"], Discourse: &DiscourseConfig{BrandGroups: []string{fakesource.DiscourseDemoBrandGroup}, RequestsPerMinute: maxRPM}},
		{Name: "github", Kind: KindGitHub, URL: urls["github"], GitHub: &GitHubConfig{RequestsPerMinute: maxRPM}},
	}
	cs, err := Build(sources, brands, p.f)
	if err != nil {
		t.Fatal(err)
	}
	s := NewScheduler(p.st, storeSink{p.st}, nil, p.clk.Now)
	for _, c := range cs {
		if err := s.Add(c, "@every 2s", 0); err != nil {
			t.Fatal(err)
		}
	}
	pollAll := func() {
		for _, c := range cs {
			if _, err := guarded(t, "poll", func(ctx context.Context) (struct{}, error) { return struct{}{}, s.PollNow(ctx, c.Name()) }); err != nil {
				t.Fatalf("%s: %v", c.Name(), err)
			}
		}
	}
	refreshAll := func() {
		for _, c := range cs {
			p.refresh(c)
		}
	}
	pollAll()
	p.clk.Advance(30 * time.Second) // the whole script has played
	pollAll()
	refreshAll()
	p.clk.Advance(5 * time.Minute)
	refreshAll()

	forumKey := func(id int64) string { return store.MentionKey(KindDiscourse, forumID(urls["forum"], id)) }
	answered := map[string]string{
		"reddit:t3_1kx01a":    fakesource.RedditDemoBrandAccount,
		"hackernews:43100001": fakesource.HackerNewsDemoBrandAccount,
		forumKey(91001):       fakesource.DiscourseDemoBrandAccount,
		ghIssue42:             fakesource.GitHubDemoMaintainer,
	}
	for key, by := range answered {
		if m := p.mention(key); m.AnsweredAt == nil || m.AnsweredBy != by {
			t.Errorf("%s: answered by %q at %v, want %q", key, m.AnsweredBy, m.AnsweredAt, by)
		}
	}
	for _, key := range []string{"reddit:t3_1kx01c", "hackernews:43100021", forumKey(91010), "github:https://github.com/wayan-dev/woo-kilat-shipping/issues/7", "github:https://github.com/tokoku/ongkir/issues/118"} {
		if m := p.mention(key); m.AnsweredAt != nil || m.ByBrand {
			t.Errorf("%s should be an unanswered customer mention: %+v", key, m)
		}
	}
	if m := p.mention("reddit:t3_1kx01d"); !m.ByBrand {
		t.Errorf("brand announcement = %+v", m)
	}
	for _, key := range []string{"reddit:t3_1kx01e", "reddit:t3_1kx01f", "github:https://github.com/someone/dotfiles/issues/3"} {
		if _, ok, _ := p.st.Mention(key); ok {
			t.Errorf("%s stored (deleted or unrelated)", key)
		}
	}
	// Engagement grows between refreshes.
	for _, key := range []string{"reddit:t3_1kx01a", "hackernews:43100001", forumKey(91001), ghIssue42} {
		ss := p.samples(key)
		if len(ss) < 2 || val(ss[len(ss)-1].Likes) <= val(ss[0].Likes) {
			t.Errorf("%s: samples do not grow: %+v", key, ss)
		}
	}
	for _, c := range cs {
		st := state(t, p.st, c.Name())
		if st.ConsecutiveErrors != 0 || st.ItemsSeen == 0 || st.Cursor == "" || st.Coverage == "" {
			t.Errorf("%s: state = %+v", c.Name(), st)
		}
	}

	// A platform 429 reaches the scheduler as a backoff no shorter than
	// its Retry-After.
	reddit.FailNext(1, "/search.json", 429, "120")
	p.clk.Advance(time.Minute)
	if err := s.PollNow(context.Background(), "reddit"); err == nil {
		t.Fatal("poll succeeded through a 429")
	}
	if st := state(t, p.st, "reddit"); st.NextAttempt.Before(p.clk.Now().Add(2 * time.Minute)) {
		t.Errorf("next attempt %s, want at least 2m after %s", st.NextAttempt, p.clk.Now())
	}
}

func TestScrubErr(t *testing.T) {
	const sec = "SECRET-api-key-123"
	tests := map[string]struct {
		err       error
		wantAs    bool // a *StatusError is still found
		wantLarge bool
	}{
		"status error": {err: fmt.Errorf("src: %w", &StatusError{Code: 500, Body: "echo " + sec, RetryAfter: time.Second}), wantAs: true},
		"plain error":  {err: fmt.Errorf("src: dial: key %s refused", sec)},
		"too large":    {err: &redactedError{msg: "GET x: too large " + sec, cause: ErrTooLarge}, wantLarge: true},
		"no secret":    {err: errors.New("nothing to hide")},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			err := scrubErr(tc.err, sec, "x") // too short to scrub: "x" stays
			if strings.Contains(err.Error(), sec) {
				t.Fatalf("leaks: %v", err)
			}
			var se *StatusError
			if ok := errors.As(err, &se); ok != tc.wantAs || (ok && (se == nil || se.RetryAfter != time.Second)) {
				t.Errorf("errors.As = %v, %#v", ok, se)
			}
			if errors.Is(err, ErrTooLarge) != tc.wantLarge {
				t.Errorf("errors.Is(ErrTooLarge) = %v", !tc.wantLarge)
			}
		})
	}
}

func TestHWMCursorBounded(t *testing.T) {
	var c hwmCursor
	base := time.Date(2024, 6, 4, 12, 0, 0, 0, time.UTC)
	for i := range maxSeenIDs + 500 {
		c.saw(fmt.Sprint(i), base.Add(time.Duration(i)*time.Millisecond))
	}
	c.saw("old", base.Add(-2*time.Hour))
	c.prune(time.Hour)
	if len(c.Seen) != maxSeenIDs {
		t.Fatalf("%d ids kept, want %d", len(c.Seen), maxSeenIDs)
	}
	if _, ok := c.Seen["old"]; ok {
		t.Error("an id below the overlap window was kept")
	}
	// The newest are kept: they are the ones a next poll sees again.
	if _, ok := c.Seen[fmt.Sprint(maxSeenIDs+499)]; !ok {
		t.Error("the newest id was dropped")
	}
	// A future date is not believed: the mark stays at now.
	now := base.Add(time.Hour)
	if got := notAfterSkew(now.Add(48*time.Hour), now); !got.Equal(now) {
		t.Errorf("future date kept: %s", got)
	}
}
