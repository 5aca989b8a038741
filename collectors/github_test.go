package collectors

import (
	"context"
	"errors"
	"fmt"
	"net/http"
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

func githubSource(base string, mutate func(*GitHubConfig)) SourceConfig {
	gc := &GitHubConfig{RequestsPerMinute: maxRPM}
	if mutate != nil {
		mutate(gc)
	}
	return SourceConfig{Name: "gh", Kind: KindGitHub, URL: base, Brand: "kilat", GitHub: gc}
}

func newTestGitHub(t *testing.T, f *Fetcher, cfg SourceConfig) *GitHub {
	t.Helper()
	c, err := NewGitHub(cfg, kx, f)
	if err != nil {
		t.Fatal(err)
	}
	return c.(*GitHub)
}

const ghIssue42 = "github:https://github.com/kilatexpress/kilat-sdk-go/issues/42"

func TestGitHubConfigValidate(t *testing.T) {
	tokenFile := filepath.Join(t.TempDir(), "token")
	os.WriteFile(tokenFile, []byte("ghp_x\n"), 0o600)
	tests := map[string]struct {
		cfg  *GitHubConfig
		want []string
	}{
		"no section": {},
		"valid":      {cfg: &GitHubConfig{TokenFile: tokenFile, Repos: []string{"kilatexpress/kilat-sdk-go"}, Orgs: []string{"tokoku"}, BrandOrgs: []string{"kilatexpress"}, Types: []string{"issue"}}},
		"bad repo":   {cfg: &GitHubConfig{Repos: []string{"kilatexpress"}}, want: []string{`sources[2].github.repos[0]: "kilatexpress" is not owner/name`}},
		"bad org":    {cfg: &GitHubConfig{BrandOrgs: []string{"-kilat"}}, want: []string{`sources[2].github.brand_orgs[0]: "-kilat" is not a GitHub user or organisation name`}},
		"too many scopes": {cfg: &GitHubConfig{Repos: []string{"a/a", "b/b", "c/c"}, Orgs: []string{"d", "e", "f"}},
			want: []string{"sources[2].github.repos: repos and orgs together may name at most 5 (GitHub allows 5 boolean operators per search), got 6"}},
		"bad type":     {cfg: &GitHubConfig{Types: []string{"discussion"}}, want: []string{`sources[2].github.types[0]: unknown type "discussion" (allowed: issue, pr)`}},
		"missing file": {cfg: &GitHubConfig{TokenFile: tokenFile + ".nope"}, want: []string{"sources[2].github.token_file: read secret file"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			cfg := SourceConfig{Name: "gh", Kind: KindGitHub, Brand: "kilat", GitHub: tc.cfg}
			checkFieldErrors(t, cfg.Validate("sources[2]", []Brand{kx}), tc.want)
		})
	}
}

func TestGitHubQueries(t *testing.T) {
	long := strings.Repeat("x", 60)
	tests := map[string]struct {
		terms  []string
		all    bool
		scopes []string
		types  []string
		want   []string
		err    string
	}{
		"terms OR'd, one query per type": {terms: []string{"Kilat Express", "kilatexpress"}, types: []string{"issue", "pr"}, want: []string{
			`("Kilat Express" OR kilatexpress) in:title,body is:issue`, `("Kilat Express" OR kilatexpress) in:title,body is:pr`}},
		"scopes OR'd": {terms: []string{"kilat"}, scopes: []string{"repo:a/b", "org:c"}, types: []string{"issue"}, want: []string{
			`kilat in:title,body is:issue (repo:a/b OR org:c)`}},
		"five operators at most": {terms: []string{"t1", "t2", "t3", "t4", "t5", "t6", "t7"}, scopes: []string{"org:a", "org:b"}, types: []string{"issue"}, want: []string{
			`(t1 OR t2 OR t3 OR t4 OR t5) in:title,body is:issue (org:a OR org:b)`, `(t6 OR t7) in:title,body is:issue (org:a OR org:b)`}},
		"256 characters at most": {terms: []string{long + "1", long + "2", long + "3", long + "4"}, types: []string{"issue"}, want: []string{
			fmt.Sprintf("(%s1 OR %s2 OR %s3) in:title,body is:issue", long, long, long), long + "4 in:title,body is:issue"}},
		"every issue of a repo": {all: true, scopes: []string{"repo:kilatexpress/kilat-sdk-go"}, types: []string{"pr"}, want: []string{"is:pr repo:kilatexpress/kilat-sdk-go"}},
		"a term too long":       {terms: []string{strings.Repeat("y", 240)}, types: []string{"issue"}, err: "longer than GitHub's 256 characters"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := githubQueries(tc.terms, tc.all, tc.scopes, tc.types)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v", err)
				}
				return
			}
			if err != nil || !slices.Equal(got, tc.want) {
				t.Errorf("queries = %q, %v\nwant %q", got, err, tc.want)
			}
		})
	}
}

func TestGitHubFixture(t *testing.T) {
	p := newPlatformRun(t)
	base := fixtureServer(t, map[string]string{"/search/issues": "github/search.json"})
	g := newTestGitHub(t, p.f, githubSource(base, nil))
	b, _ := p.poll(g, "")
	sameIDs(t, "mentions", b.Mentions,
		"https://github.com/kilatexpress/kilat-sdk-go/issues/42",
		"https://github.com/kilatexpress/kilat-sdk-go/pull/43",
		"https://github.com/wayan-dev/woo-kilat-shipping/issues/7")
	pr, _ := findMention(b.Mentions, "https://github.com/kilatexpress/kilat-sdk-go/pull/43")
	wayan, _ := findMention(b.Mentions, "https://github.com/wayan-dev/woo-kilat-shipping/issues/7")
	// MEMBER in the brand's org is the brand; OWNER of someone else's
	// repo is a customer.
	if !pr.ByBrand || wayan.ByBrand {
		t.Errorf("ByBrand: pr=%v wayan=%v", pr.ByBrand, wayan.ByBrand)
	}
	if s, ok := findSample(b, ghIssue42); !ok || val(s.Likes) != 9 || val(s.Replies) != 2 {
		t.Errorf("sample = %+v", s)
	}
	checkGolden(t, "github/poll.golden.json", b.Mentions)
}

func TestGitHubPoll(t *testing.T) {
	p := newPlatformRun(t)
	srv := fakesource.GitHubDemo(p.clk.Now)
	for i := range 150 {
		srv.Add(fakesource.GitHubIssue{Owner: "bulk", Repo: "shop", Number: 1000 + i, User: "u", Title: fmt.Sprintf("Kilat Express label %d", i), At: -time.Duration(i+1) * time.Minute})
	}
	g := newTestGitHub(t, p.f, githubSource(p.serve(srv), nil))
	p.clk.Advance(15 * time.Second)
	b, _ := p.poll(g, "")
	if len(b.Mentions) != 150+4 {
		t.Errorf("%d mentions, want 154", len(b.Mentions))
	}
	if _, ok := findMention(b.Mentions, "https://github.com/someone/dotfiles/issues/3"); ok {
		t.Error("an issue without the brand's name was kept")
	}
	var pages []string
	since := p.clk.Now().Add(-defaultBackfill).Format("2006-01-02T15:04:05Z")
	for _, r := range srv.RequestsTo("/search/issues") {
		pages = append(pages, r.Query.Get("q")+" #"+r.Query.Get("page"))
		if r.Query.Get("sort") != "updated" || r.Query.Get("order") != "desc" || r.Query.Get("per_page") != "100" || r.Query.Get("advanced_search") != "true" {
			t.Errorf("query = %v", r.Query)
		}
		if r.Header.Get("Accept") != "application/vnd.github+json" || r.Header.Get("X-Github-Api-Version") != githubAPIVersion || r.Header.Get("Authorization") != "" {
			t.Errorf("headers = %v", r.Header)
		}
	}
	want := []string{
		`("Kilat Express" OR kilatexpress) in:title,body is:issue updated:>=` + since + " #1",
		`("Kilat Express" OR kilatexpress) in:title,body is:issue updated:>=` + since + " #2",
		`("Kilat Express" OR kilatexpress) in:title,body is:pr updated:>=` + since + " #1",
	}
	if !slices.Equal(pages, want) {
		t.Errorf("searches = %q\nwant %q", pages, want)
	}
}

func TestGitHubCursorAcrossRestarts(t *testing.T) {
	p := newPlatformRun(t)
	srv := fakesource.GitHubDemo(p.clk.Now)
	base := p.serve(srv)
	p.clk.Advance(15 * time.Second)
	b1, cur := p.poll(newTestGitHub(t, p.f, githubSource(base, nil)), "")
	if len(b1.Mentions) != 4 {
		t.Fatalf("first poll: %q", nativeIDs(b1.Mentions))
	}
	b2, cur2 := p.poll(newTestGitHub(t, p.f, githubSource(base, nil)), cur)
	sameIDs(t, "repeat", b2.Mentions)
	if cur2 != cur {
		t.Errorf("cursor moved: %s -> %s", cur, cur2)
	}
	// A new comment updates issue 118: it comes back (the store keeps one
	// mention and adds a sample); the others do not.
	srv.AddComment("tokoku", "ongkir", 118, fakesource.GitHubComment{ID: 7001, User: "budi", Body: "Sama", At: 30 * time.Second})
	p.clk.Advance(time.Minute)
	b3, _ := p.poll(newTestGitHub(t, p.f, githubSource(base, nil)), cur2)
	sameIDs(t, "after restart", b3.Mentions, "https://github.com/tokoku/ongkir/issues/118")
	if s, _ := findSample(b3, "github:https://github.com/tokoku/ongkir/issues/118"); val(s.Replies) != 1 {
		t.Errorf("sample = %+v", s)
	}
	if n := len(p.stored(KindGitHub)); n != 4 {
		t.Errorf("%d stored, want 4", n)
	}
}

func TestGitHubRefresh(t *testing.T) {
	p := newPlatformRun(t)
	srv := fakesource.GitHubDemo(p.clk.Now)
	srv.Token = "ghp_TESTTOKEN_123456"
	g := newTestGitHub(t, p.f, githubSource(p.serve(srv), func(c *GitHubConfig) { c.Token = secret.New(srv.Token) }))
	p.clk.Advance(9 * time.Second) // before the maintainer's answer
	p.poll(g, "")
	p.clk.Advance(time.Minute)
	b := p.refresh(g)
	sameIDs(t, "brand replies", b.Mentions, "https://github.com/kilatexpress/kilat-sdk-go/issues/42#issuecomment-5003")
	if r := b.Mentions[0]; !r.ByBrand || r.ReplyTo != ghIssue42 || r.ThreadRoot != ghIssue42 || r.Author.Handle != fakesource.GitHubDemoMaintainer {
		t.Errorf("reply = %+v", r)
	}
	if m := p.mention(ghIssue42); m.AnsweredAt == nil || m.AnsweredBy != fakesource.GitHubDemoMaintainer {
		t.Errorf("issue not answered: %+v", m)
	}
	if m := p.mention("github:https://github.com/wayan-dev/woo-kilat-shipping/issues/7"); m.AnsweredAt != nil {
		t.Errorf("a customer's comment answered the issue: %+v", m)
	}
	// Four reactions, and two more a minute since two hours before the
	// start (121.15 minutes at this refresh).
	if s, _ := findSample(b, ghIssue42); val(s.Likes) != 4+242 || val(s.Replies) != 3 {
		t.Errorf("sample: reactions %d comments %d", val(s.Likes), val(s.Replies))
	}
	for _, r := range srv.Requests() {
		if r.Header.Get("Authorization") != "Bearer "+srv.Token {
			t.Errorf("%s: Authorization %q", r.Path, r.Header.Get("Authorization"))
		}
	}

	// Second round: unchanged resources answer 304 from the ETag cache,
	// samples still come; the answered issue's comments are not read.
	n := len(srv.Requests())
	b = p.refresh(g)
	var statuses []int
	for _, r := range srv.Requests()[n:] {
		statuses = append(statuses, r.Status)
		if strings.HasPrefix(r.Path, "/repos/kilatexpress/kilat-sdk-go/issues/42/comments") {
			t.Error("answered issue's comments read again")
		}
	}
	if !slices.Contains(statuses, http.StatusNotModified) {
		t.Errorf("statuses = %v, want 304s", statuses)
	}
	if s, ok := findSample(b, "github:https://github.com/tokoku/ongkir/issues/118"); !ok || val(s.Replies) != 0 {
		t.Errorf("sample from the cache = %+v", s)
	}
}

func TestGitHubRateLimits(t *testing.T) {
	tests := map[string]struct {
		setup func(srv *fakesource.GitHubServer, now time.Time)
		// okPolls run first, by the same collector or, with restart, by
		// another (as after a restart: it knows nothing of the budget).
		okPolls   int
		restart   bool
		wantCode  int
		wantRetry time.Duration
	}{
		"budget spent on the last allowed search": {
			// Two searches fit; the next poll is held until the reset,
			// one second past the minute, without asking.
			setup: func(srv *fakesource.GitHubServer, _ time.Time) { srv.SearchLimit = 2 }, okPolls: 1, wantCode: 429, wantRetry: 61 * time.Second,
		},
		"403 with x-ratelimit-remaining 0 after a restart": {
			setup: func(srv *fakesource.GitHubServer, _ time.Time) { srv.SearchLimit = 2 }, okPolls: 1, restart: true, wantCode: 403, wantRetry: 61 * time.Second,
		},
		"403 with the reset in the headers": {
			setup: func(srv *fakesource.GitHubServer, now time.Time) {
				h := http.Header{"X-Ratelimit-Remaining": {"0"}, "X-Ratelimit-Reset": {fmt.Sprint(now.Add(90 * time.Second).Unix())}}
				srv.FailNextWith(1, "/search/", 403, "", h, `{"message":"API rate limit exceeded for 127.0.0.1."}`)
			},
			wantCode: 403, wantRetry: 91 * time.Second,
		},
		"secondary rate limit without headers": {
			setup: func(srv *fakesource.GitHubServer, _ time.Time) {
				srv.FailNextWith(1, "/search/", 403, "", nil, `{"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again."}`)
			},
			wantCode: 403, wantRetry: time.Minute,
		},
		"429 with Retry-After": {
			setup: func(srv *fakesource.GitHubServer, _ time.Time) { srv.FailNext(1, "/search/", 429, "7") }, wantCode: 429, wantRetry: 7 * time.Second,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			p := newPlatformRun(t)
			srv := fakesource.GitHubDemo(p.clk.Now)
			tc.setup(srv, p.clk.Now())
			base := p.serve(srv)
			g := newTestGitHub(t, p.f, githubSource(base, nil))
			for range tc.okPolls {
				p.poll(g, "")
			}
			if tc.restart {
				g = newTestGitHub(t, p.f, githubSource(base, nil))
			}
			_, err := guarded(t, "poll", func(ctx context.Context) (store.Batch, error) { return g.Poll(ctx, "") })
			se := statusOf(t, err)
			if se.Code != tc.wantCode || se.RetryAfter != tc.wantRetry || !strings.Contains(err.Error(), `github source "gh"`) {
				t.Fatalf("err = %v (code %d, retry %s)", err, se.Code, se.RetryAfter)
			}
			// Held: no request until the wait is over...
			n := len(srv.Requests())
			_, err = guarded(t, "poll", func(ctx context.Context) (store.Batch, error) { return g.Poll(ctx, "") })
			if se := statusOf(t, err); se.RetryAfter != tc.wantRetry || len(srv.Requests()) != n {
				t.Fatalf("held poll: %v", err)
			}
			// ...but the core API is a separate budget: refresh works.
			b, err := guarded(t, "refresh", func(ctx context.Context) (store.Batch, error) {
				return g.Refresh(ctx, []store.Mention{{Kind: KindGitHub, NativeID: "https://github.com/kilatexpress/kilat-sdk-go/issues/42"}})
			})
			if err != nil || len(b.Samples) != 1 {
				t.Errorf("refresh during a search hold: %v, %+v", err, b.Samples)
			}
			p.clk.Advance(tc.wantRetry)
			p.poll(g, "")
		})
	}
	t.Run("a plain 403 is not a rate limit", func(t *testing.T) {
		p := newPlatformRun(t)
		srv := fakesource.GitHubDemo(p.clk.Now)
		srv.FailNextWith(1, "/search/", 403, "", nil, `{"message":"Resource not accessible by integration"}`)
		g := newTestGitHub(t, p.f, githubSource(p.serve(srv), nil))
		_, err := guarded(t, "poll", func(ctx context.Context) (store.Batch, error) { return g.Poll(ctx, "") })
		if se := statusOf(t, err); se.RetryAfter != 0 {
			t.Fatalf("retry = %s", se.RetryAfter)
		}
		p.poll(g, "")
	})
}

func TestGitHubToken(t *testing.T) {
	const token = "ghp_SECRETtoken0987654321"
	p := newPlatformRun(t)
	srv := fakesource.GitHubDemo(p.clk.Now)
	srv.Token = token
	base := p.serve(srv)
	// The source-level token works too.
	cfg := githubSource(base, nil)
	cfg.Token = secret.New(token)
	p.poll(newTestGitHub(t, p.f, cfg), "")
	if got := srv.Requests()[0].Header.Get("Authorization"); got != "Bearer "+token {
		t.Errorf("Authorization = %q", got)
	}
	for name, setup := range map[string]func(){
		"rotated token": func() { srv.Token = "ghp_other" },
		"echoing 500":   func() { srv.FailNextWith(1, "/search/", 500, "", nil, `{"message":"boom for token `+token+`"}`) },
	} {
		t.Run(name, func(t *testing.T) {
			setup()
			g := newTestGitHub(t, p.f, githubSource(base, func(c *GitHubConfig) { c.Token = secret.New(token) }))
			_, err := guarded(t, "poll", func(ctx context.Context) (store.Batch, error) { return g.Poll(ctx, "") })
			if err == nil || strings.Contains(err.Error(), token) || strings.Contains(g.Coverage(), token) {
				t.Fatalf("err = %v", err)
			}
			t.Log(err)
		})
	}
	for name, tc := range map[string]struct {
		token bool
		want  rate.Limit
	}{
		"anonymous":  {false, rate.Every(6 * time.Second)},
		"with token": {true, rate.Every(2 * time.Second)},
	} {
		t.Run(name, func(t *testing.T) {
			f := NewFetcher(FetcherOptions{})
			cfg := githubSource("", func(c *GitHubConfig) { c.RequestsPerMinute = 0 })
			if tc.token {
				cfg.GitHub.Token = secret.New("x")
			}
			if _, err := NewGitHub(cfg, kx, f); err != nil {
				t.Fatal(err)
			}
			if got := f.limiter("api.github.com").Limit(); got < tc.want*0.999 || got > tc.want*1.001 {
				t.Errorf("limit = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestGitHubMalformed(t *testing.T) {
	tests := map[string]struct {
		body    string
		maxBody int64
		want    string
	}{
		"html":          {body: "<html>Unicorn!</html>", want: "HTML instead of JSON"},
		"no items":      {body: `{"message":"Not Found"}`, want: "no total_count or items (not a search result)"},
		"items are odd": {body: `{"total_count":1,"items":"x"}`, want: "unexpected JSON: items is a string"},
		"oversized":     {body: `{"total_count":0,"items":[]}` + strings.Repeat(" ", 2000), maxBody: 1024, want: "larger than the 1 KiB limit"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			clk := newTestClock()
			base := fixtureServer(t, map[string]string{"/search/issues": "raw:" + tc.body})
			g := newTestGitHub(t, NewFetcher(FetcherOptions{Rate: rate.Inf, Now: clk.Now, MaxBodyBytes: tc.maxBody}), githubSource(base, nil))
			_, err := guarded(t, "poll", func(ctx context.Context) (store.Batch, error) { return g.Poll(ctx, "") })
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), `github source "gh"`) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
	t.Run("refresh keeps the good issues", func(t *testing.T) {
		clk := newTestClock()
		good := `{"number":7,"comments":3,"reactions":{"total_count":2}}`
		base := fixtureServer(t, map[string]string{
			"/repos/a/b/issues/1":          "raw:{not json",
			"/repos/a/b/issues/2":          "raw:" + good,
			"/repos/a/b/issues/2/comments": `raw:[{"html_url":"https://github.com/a/b/issues/2#issuecomment-9","body":"Fixed in 1.2","user":{"login":"KilatExpress"},"created_at":"2024-06-04T11:00:00Z","author_association":"NONE"},{"html_url":"https://github.com/x/y/issues/9#issuecomment-1","body":"elsewhere","user":{"login":"kilatexpress"},"created_at":"2024-06-04T11:00:00Z"}, 42]`,
			"/repos/a/b/issues/3":          "raw:" + good + strings.Repeat(" ", 5000),
		})
		g := newTestGitHub(t, NewFetcher(FetcherOptions{Rate: rate.Inf, Now: clk.Now, MaxBodyBytes: 4096}), githubSource(base, nil))
		ms := []store.Mention{
			{Kind: KindGitHub, NativeID: "https://github.com/a/b/issues/1"},
			{Kind: KindGitHub, NativeID: "https://github.com/a/b/issues/2"},
			{Kind: KindGitHub, NativeID: "https://github.com/a/b/issues/3"},
			{Kind: KindGitHub, NativeID: "https://github.com/a/b/issues/4"}, // gone: 404
		}
		b, err := g.Refresh(context.Background(), ms)
		if err == nil || !strings.Contains(err.Error(), "malformed issue from "+base+"/repos/a/b/issues/1") || !errors.Is(err, ErrTooLarge) || strings.Contains(err.Error(), "issues/4") {
			t.Fatalf("err = %v", err)
		}
		// A brand login answers anywhere; a comment of another issue in
		// the list and a non-object are skipped.
		sameIDs(t, "kept", b.Mentions, "https://github.com/a/b/issues/2#issuecomment-9")
		if s, ok := findSample(b, "github:https://github.com/a/b/issues/2"); !ok || val(s.Likes) != 2 || val(s.Replies) != 3 {
			t.Errorf("sample = %+v", s)
		}
	})
}
