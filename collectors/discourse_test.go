package collectors

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
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

func discourseSource(base string, mutate func(*DiscourseConfig)) SourceConfig {
	dc := &DiscourseConfig{RequestsPerMinute: maxRPM, BrandGroups: []string{fakesource.DiscourseDemoBrandGroup}}
	if mutate != nil {
		mutate(dc)
	}
	return SourceConfig{Name: "forum", Kind: KindDiscourse, URL: base, Brand: "kilat", Discourse: dc}
}

func newTestDiscourse(t *testing.T, f *Fetcher, cfg SourceConfig) *Discourse {
	t.Helper()
	c, err := NewDiscourse(cfg, kx, f)
	if err != nil {
		t.Fatal(err)
	}
	return c.(*Discourse)
}

// forumID is the native id prefix of a forum served at base.
func forumID(base string, post int64) string {
	u, _ := url.Parse(base)
	return fmt.Sprintf("%s/p/%d", u.Host, post)
}

func TestDiscourseConfigValidate(t *testing.T) {
	keyFile := filepath.Join(t.TempDir(), "key")
	os.WriteFile(keyFile, []byte("k"), 0o600)
	tests := map[string]struct {
		cfg  *DiscourseConfig
		want []string
	}{
		"no section":              {},
		"valid private":           {cfg: &DiscourseConfig{APIKeyFile: keyFile, APIUsername: "system", BrandGroups: []string{"kilat_team"}, StaffIsBrand: true}},
		"key without username":    {cfg: &DiscourseConfig{APIKey: secret.New("k")}, want: []string{"sources[0].discourse.api_username: required with api_key"}},
		"username without key":    {cfg: &DiscourseConfig{APIUsername: "system"}, want: []string{"sources[0].discourse.api_key: required with api_username"}},
		"bad group":               {cfg: &DiscourseConfig{BrandGroups: []string{"kilat team!"}}, want: []string{`sources[0].discourse.brand_groups[0]: "kilat team!" is not a Discourse group name`}},
		"thread posts too many":   {cfg: &DiscourseConfig{MaxThreadPosts: 5000}, want: []string{"sources[0].discourse.max_thread_posts: must be between 1 and 1000 (0 means 100), got 5000"}},
		"key file and key":        {cfg: &DiscourseConfig{APIKey: secret.New("k"), APIKeyFile: keyFile, APIUsername: "system"}, want: []string{"sources[0].discourse.api_key_file: set either the value or its _file, not both"}},
		"rate and pages and more": {cfg: &DiscourseConfig{RequestsPerMinute: 70000, MaxPages: 21}, want: []string{"sources[0].discourse.max_pages:", "sources[0].discourse.requests_per_minute:"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			cfg := SourceConfig{Name: "forum", Kind: KindDiscourse, URL: "https://forum.example.com", Brand: "kilat", Discourse: tc.cfg}
			checkFieldErrors(t, cfg.Validate("sources[0]", []Brand{kx}), tc.want)
		})
	}
	_, err := NewDiscourse(SourceConfig{Name: "forum", Kind: KindDiscourse}, kx, newTestFetcher(newTestClock()))
	if err == nil || !strings.Contains(err.Error(), `discourse source "forum": url is required: the forum's base URL`) {
		t.Errorf("no url: %v", err)
	}
	_, err = NewDiscourse(SourceConfig{Name: "forum", Kind: KindDiscourse, URL: "https://user:pw@forum.example.com/?api_key=x"}, kx, newTestFetcher(newTestClock()))
	if err == nil || strings.Contains(err.Error(), "pw") || strings.Contains(err.Error(), "api_key=x") {
		t.Errorf("url with credentials: %v", err)
	}
}

func TestDiscourseFixture(t *testing.T) {
	p := newPlatformRun(t)
	// The topics cannot be read (404): the posts keep their excerpts.
	base := fixtureServer(t, map[string]string{"/search.json": "discourse/search.json"})
	d := newTestDiscourse(t, p.f, discourseSource(base, nil))
	b, _ := p.poll(d, "")
	// The malformed post and the excluded giveaway are gone.
	sameIDs(t, "mentions", b.Mentions, forumID(base, 91010), forumID(base, 91001))
	m, _ := findMention(b.Mentions, forumID(base, 91001))
	if m.Title != "Kilat Express pickup tidak datang 3 hari" || m.URL != base+"/t/kilat-express-pickup-tidak-datang-3-hari/7101/1" ||
		m.Author.Handle != "toko_sinar" || m.Author.DisplayName != "Toko Sinar" || !strings.HasPrefix(m.Text, "Sudah request pickup Kilat Express") {
		t.Errorf("mention = %+v", m)
	}
	if s, ok := findSample(b, keyOf(m)); !ok || val(s.Likes) != 2 {
		t.Errorf("sample = %+v", s)
	}
	// The golden file is host-independent: the test server's port varies.
	for i := range b.Mentions {
		u, _ := url.Parse(base)
		r := strings.NewReplacer(base, "https://forum.example", u.Host, "forum.example")
		b.Mentions[i].NativeID, b.Mentions[i].URL, b.Mentions[i].Author.ProfileURL = r.Replace(b.Mentions[i].NativeID), r.Replace(b.Mentions[i].URL), r.Replace(b.Mentions[i].Author.ProfileURL)
	}
	checkGolden(t, "discourse/poll.golden.json", b.Mentions)
}

func TestDiscoursePoll(t *testing.T) {
	p := newPlatformRun(t)
	srv := fakesource.DiscourseDemo(p.clk.Now)
	srv.PageSize = 1
	base := p.serve(srv)
	d := newTestDiscourse(t, p.f, discourseSource(base, nil))
	p.clk.Advance(15 * time.Second)
	b, _ := p.poll(d, "")
	sameIDs(t, "mentions", b.Mentions, forumID(base, 91001), forumID(base, 91010), forumID(base, 91003))

	// Searches: one per term, newest first, paged one post at a time here.
	var pages []string
	for _, r := range srv.RequestsTo("/search.json") {
		pages = append(pages, r.Query.Get("q")+" page "+r.Query.Get("page"))
	}
	after := p.clk.Now().Add(-defaultBackfill).AddDate(0, 0, -1).Format("2006-01-02")
	want := []string{
		`"Kilat Express" order:latest after:` + after + " page 1",
		`"Kilat Express" order:latest after:` + after + " page 2",
		"kilatexpress order:latest after:" + after + " page 1",
	}
	if !slices.Equal(pages, want) {
		t.Errorf("searches = %q, want %q", pages, want)
	}
	// The topic read replaced the excerpt and found the brand's answer.
	m := p.mention(store.MentionKey(KindDiscourse, forumID(base, 91001)))
	if m.Text != "Sudah request pickup Kilat Express dari Senin tapi kurirnya tidak datang-datang. 40 paket numpuk, pembeli sudah komplain. Ada yang bisa bantu?" {
		t.Errorf("text = %q", m.Text)
	}
	if m.AnsweredAt == nil || m.AnsweredBy != "kilat_support" {
		t.Errorf("complaint not answered: %+v", m)
	}
	reply := p.mention(store.MentionKey(KindDiscourse, forumID(base, 91003)))
	if !reply.ByBrand || reply.ReplyTo != keyOf(m) || reply.ThreadRoot != keyOf(m) || reply.URL != base+"/t/kilat-express-pickup-tidak-datang-3-hari/7101/3" {
		t.Errorf("reply = %+v", reply)
	}
	if q := p.mention(store.MentionKey(KindDiscourse, forumID(base, 91010))); q.AnsweredAt != nil || q.ThreadRoot != "" {
		t.Errorf("unanswered question = %+v", q)
	}
	for _, r := range srv.Requests() {
		if r.Header.Get("Api-Key") != "" {
			t.Errorf("%s sent an Api-Key without one configured", r.Path)
		}
	}
}

func TestDiscourseCursorAcrossRestarts(t *testing.T) {
	p := newPlatformRun(t)
	start := p.clk.Now()
	srv := fakesource.NewDiscourseServer(p.clk.Now,
		fakesource.DiscourseTopic{ID: 1, Title: "Kilat Express satu", Slug: "satu", Posts: []fakesource.DiscoursePost{{ID: 11, Username: "a", Text: "x", At: -time.Hour}}})
	base := p.serve(srv)
	b1, cur := p.poll(newTestDiscourse(t, p.f, discourseSource(base, nil)), "")
	sameIDs(t, "first", b1.Mentions, forumID(base, 11))
	b2, cur2 := p.poll(newTestDiscourse(t, p.f, discourseSource(base, nil)), cur)
	sameIDs(t, "repeat", b2.Mentions)
	if cur != cur2 {
		t.Errorf("cursor moved: %s -> %s", cur, cur2)
	}
	srv.AddPost(1, fakesource.DiscoursePost{ID: 12, Username: "b", Text: "Kilat Express juga telat di Medan", At: time.Minute})
	srv.Add(fakesource.DiscourseTopic{ID: 2, Title: "Kilat Express dua", Slug: "dua", Posts: []fakesource.DiscoursePost{
		// Indexed late: written before the newest post already seen.
		{ID: 21, Username: "c", Text: "y", Published: start.Add(-90 * time.Minute), At: 2 * time.Minute}}})
	p.clk.Advance(3 * time.Minute)
	b3, _ := p.poll(newTestDiscourse(t, p.f, discourseSource(base, nil)), cur2)
	// Post 21 was written before the newest post already seen, but within
	// the overlap below it: it is caught.
	sameIDs(t, "after restart", b3.Mentions, forumID(base, 12), forumID(base, 21))
	r := srv.RequestsTo("/search.json")
	if q := r[len(r)-1].Query.Get("q"); q != "kilatexpress order:latest after:"+start.Add(-time.Hour-discourseOverlap).AddDate(0, 0, -1).Format("2006-01-02") {
		t.Errorf("q = %q", q)
	}
	if m := p.mention(store.MentionKey(KindDiscourse, forumID(base, 12))); m.ReplyTo != "" || m.ThreadRoot != store.MentionKey(KindDiscourse, forumID(base, 11)) {
		t.Errorf("reply in the topic = %+v", m)
	}
}

func TestDiscourseRefresh(t *testing.T) {
	p := newPlatformRun(t)
	srv := fakesource.DiscourseDemo(p.clk.Now)
	long := fakesource.DiscourseTopic{ID: 8000, Title: "Kilat Express megathread", Slug: "kilat-express-megathread", Views: 100}
	for i := range 30 {
		long.Posts = append(long.Posts, fakesource.DiscoursePost{ID: int64(80000 + i), Username: fmt.Sprintf("u%d", i), Text: "ikut antre", At: -time.Duration(60-i) * time.Minute})
	}
	long.Posts[0].Text = "Kilat Express telat semua hari ini"
	long.Posts[26].Text = "Paket Kilat Express saya juga belum sampai"
	flat := fakesource.DiscourseTopic{ID: 8100, Title: "Ongkir Kilat Express naik?", Slug: "ongkir", Posts: []fakesource.DiscoursePost{
		{ID: 81000, Username: "x", Text: "Kok Kilat Express naik", At: -30 * time.Minute},
		{ID: 81001, Username: "y", Text: "Iya, Kilat Express mahal sekarang", At: -20 * time.Minute},
	}}
	srv.Add(long, flat)
	d := newTestDiscourse(t, p.f, discourseSource(p.serve(srv), func(c *DiscourseConfig) { c.StaffIsBrand = true }))
	base := d.base
	p.poll(d, "") // before any brand reply is out
	if m := p.mention(store.MentionKey(KindDiscourse, forumID(base, 91001))); m.AnsweredAt != nil {
		t.Fatal("answered too early")
	}
	// The brand answers deep in the long topic (post 29, past the first
	// 20 Discourse sends inline), and staff answers the flat topic without
	// replying to a post.
	srv.AddPost(8000, fakesource.DiscoursePost{ID: 80099, Username: "kilat_support", Text: "Sudah kami proses, mohon maaf.", ReplyTo: 27, At: time.Minute})
	srv.AddPost(8100, fakesource.DiscoursePost{ID: 81002, Username: "admin_forum", Staff: true, Text: "Tarif baru berlaku 1 Juli.", At: time.Minute})
	p.clk.Advance(2 * time.Minute)
	b := p.refresh(d)
	sameIDs(t, "brand replies", b.Mentions, forumID(base, 91003), forumID(base, 80099), forumID(base, 81002))
	replyTo := map[string]string{}
	for _, m := range b.Mentions {
		replyTo[m.NativeID] = m.ReplyTo
	}
	key := func(id int64) string { return store.MentionKey(KindDiscourse, forumID(base, id)) }
	if replyTo[forumID(base, 91003)] != key(91001) || replyTo[forumID(base, 80099)] != key(80026) || replyTo[forumID(base, 81002)] != key(81001) {
		t.Errorf("reply links = %v", replyTo)
	}
	for _, id := range []int64{91001, 80026, 81001} {
		if m := p.mention(key(id)); m.AnsweredAt == nil {
			t.Errorf("post %d not answered", id)
		}
	}
	// The poll read the one matching post past the first 20; the refresh
	// reads the rest of the stream, 11 posts in one request.
	if posts := srv.RequestsTo("/t/8000/posts.json"); len(posts) != 2 || len(posts[0].Query["post_ids[]"]) != 1 || len(posts[1].Query["post_ids[]"]) != 11 {
		t.Errorf("posts.json requests = %+v", posts)
	}
	// Samples: likes from actions_summary, views and replies of first posts.
	s, ok := findSample(b, key(91001))
	if !ok || val(s.Likes) != 2+47 || val(s.Views) != 40+6*47 || val(s.Replies) != 2 {
		t.Errorf("first post sample: likes %d views %d replies %d", val(s.Likes), val(s.Views), val(s.Replies))
	}
	// A mention whose URL does not name its topic is looked up by post.
	odd := store.Mention{Kind: KindDiscourse, NativeID: forumID(base, 91010), URL: base + "/p/91010"}
	b2, err := d.Refresh(context.Background(), []store.Mention{odd})
	if err != nil || len(b2.Samples) != 1 || len(srv.RequestsTo("/posts/91010")) != 1 {
		t.Errorf("lookup by post: %v, %+v", err, b2.Samples)
	}
	// Mentions of other forums are not this source's business.
	other := store.Mention{Kind: KindDiscourse, NativeID: "forum.other.example/p/91001", URL: "https://forum.other.example/t/x/7101/1"}
	if b3, err := d.Refresh(context.Background(), []store.Mention{other}); err != nil || len(b3.Samples)+len(b3.Mentions) != 0 {
		t.Errorf("other forum: %v %+v", err, b3)
	}
}

func TestDiscourseTopicFixture(t *testing.T) {
	p := newPlatformRun(t)
	base := fixtureServer(t, map[string]string{"/t/7101.json": "discourse/topic.json"})
	d := newTestDiscourse(t, p.f, discourseSource(base, nil))
	first := store.Mention{Kind: KindDiscourse, NativeID: forumID(base, 91001), URL: base + "/t/kilat-express-pickup-tidak-datang-3-hari/7101/1"}
	b, err := d.Refresh(context.Background(), []store.Mention{first})
	if err != nil {
		t.Fatal(err)
	}
	// The broken post and the deleted staff post are skipped.
	sameIDs(t, "brand replies", b.Mentions, forumID(base, 91003))
	if s, _ := findSample(b, keyOf(first)); val(s.Likes) != 5 || val(s.Views) != 57 || val(s.Replies) != 3 {
		t.Errorf("sample: likes %d views %d replies %d", val(s.Likes), val(s.Views), val(s.Replies))
	}
}

func TestDiscourseRateLimit(t *testing.T) {
	for name, tc := range map[string]struct {
		retryAfter string
		want       time.Duration
	}{
		"429 with Retry-After":    {"5", 5 * time.Second},
		"429 without Retry-After": {"", 10 * time.Second},
	} {
		t.Run(name, func(t *testing.T) {
			p := newPlatformRun(t)
			srv := fakesource.DiscourseDemo(p.clk.Now)
			d := newTestDiscourse(t, p.f, discourseSource(p.serve(srv), nil))
			srv.FailNext(1, "/search.json", 429, tc.retryAfter)
			_, err := guarded(t, "poll", func(ctx context.Context) (store.Batch, error) { return d.Poll(ctx, "") })
			if se := statusOf(t, err); se.RetryAfter != tc.want {
				t.Fatalf("err = %v", err)
			}
			n := len(srv.Requests())
			_, err = guarded(t, "poll", func(ctx context.Context) (store.Batch, error) { return d.Poll(ctx, "") })
			if se := statusOf(t, err); se.RetryAfter != tc.want || len(srv.Requests()) != n {
				t.Fatalf("held: %v", err)
			}
			p.clk.Advance(tc.want)
			p.poll(d, "")
		})
	}
	// A 429 while reading topics for a poll only stops the enrichment.
	t.Run("429 during enrichment", func(t *testing.T) {
		p := newPlatformRun(t)
		srv := fakesource.DiscourseDemo(p.clk.Now)
		d := newTestDiscourse(t, p.f, discourseSource(p.serve(srv), nil))
		srv.FailNext(1, "/t/", 429, "30")
		b, _ := p.poll(d, "")
		if len(b.Mentions) != 1 || !strings.HasPrefix(b.Mentions[0].Text, "Sudah request pickup Kilat Express") {
			t.Errorf("mentions = %+v", b.Mentions)
		}
	})
}

func TestDiscourseAPIKey(t *testing.T) {
	const key = "dc-api-key-SECRET-9f8e7d"
	p := newPlatformRun(t)
	srv := fakesource.DiscourseDemo(p.clk.Now)
	srv.APIKey, srv.APIUsername = key, "system"
	base := p.serve(srv)
	d := newTestDiscourse(t, p.f, discourseSource(base, func(c *DiscourseConfig) { c.APIKey = secret.New(key); c.APIUsername = "system" }))
	p.poll(d, "")
	for _, r := range srv.Requests() {
		if r.Header.Get("Api-Key") != key || r.Header.Get("Api-Username") != "system" || r.Status != http.StatusOK {
			t.Errorf("%s: headers %v status %d", r.Path, r.Header, r.Status)
		}
	}
	if !strings.Contains(d.Coverage(), "as system") || strings.Contains(d.Coverage(), key) {
		t.Errorf("coverage = %q", d.Coverage())
	}
	for name, setup := range map[string]func(){
		"echoing 500": func() { srv.FailNextWith(1, "/search.json", 500, "", nil, "internal error for key "+key) },
		"echoing 429": func() { srv.FailNextWith(1, "/search.json", 429, "1", nil, "slow down "+key) },
		"wrong key":   func() { srv.APIKey = "rotated" },
	} {
		t.Run(name, func(t *testing.T) {
			setup()
			d := newTestDiscourse(t, p.f, discourseSource(base, func(c *DiscourseConfig) { c.APIKey = secret.New(key); c.APIUsername = "system" }))
			_, err := guarded(t, "poll", func(ctx context.Context) (store.Batch, error) { return d.Poll(ctx, "") })
			if err == nil || strings.Contains(err.Error(), key) || !strings.Contains(err.Error(), `discourse source "forum"`) {
				t.Fatalf("err = %v", err)
			}
			var se *StatusError
			if !errors.As(err, &se) || strings.Contains(se.Body, key) {
				t.Errorf("StatusError lost or leaking: %#v", se)
			}
			t.Log(err)
		})
	}
}

func TestDiscourseMalformed(t *testing.T) {
	tests := map[string]struct {
		body    string
		maxBody int64
		want    string
	}{
		"cloudflare page": {body: "<html>Checking your browser…</html>", want: "HTML instead of JSON"},
		"not a search":    {body: `{"posts":[]}`, want: "no grouped_search_result (not a Discourse search result)"},
		"posts not array": {body: `{"posts":"x","grouped_search_result":{}}`, want: "unexpected JSON: posts is a string"},
		"oversized":       {body: `{"posts":[],"grouped_search_result":{}}` + strings.Repeat(" ", 5000), maxBody: 4096, want: "larger than the 4 KiB limit"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			clk := newTestClock()
			base := fixtureServer(t, map[string]string{"/search.json": "raw:" + tc.body})
			d := newTestDiscourse(t, NewFetcher(FetcherOptions{Rate: rate.Inf, Now: clk.Now, MaxBodyBytes: tc.maxBody}), discourseSource(base, nil))
			_, err := guarded(t, "poll", func(ctx context.Context) (store.Batch, error) { return d.Poll(ctx, "") })
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), `discourse source "forum"`) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
	t.Run("refresh keeps the good topics", func(t *testing.T) {
		clk := newTestClock()
		base := fixtureServer(t, map[string]string{
			"/t/7101.json": "discourse/topic.json",
			"/t/7200.json": `raw:{"id":7200,"title":"x"}`,
			"/t/7300.json": "raw:" + strings.Repeat("[", 9000),
		})
		d := newTestDiscourse(t, NewFetcher(FetcherOptions{Rate: rate.Inf, Now: clk.Now, MaxBodyBytes: 8192}), discourseSource(base, nil))
		ms := []store.Mention{
			{Kind: KindDiscourse, NativeID: forumID(base, 1), URL: base + "/t/x/7200/1"},
			{Kind: KindDiscourse, NativeID: forumID(base, 91001), URL: base + "/t/x/7101/1"},
			{Kind: KindDiscourse, NativeID: forumID(base, 3), URL: base + "/t/x/7300/1"},
			{Kind: KindDiscourse, NativeID: forumID(base, 4), URL: base + "/t/x/7400/1"}, // gone: 404
		}
		b, err := d.Refresh(context.Background(), ms)
		if err == nil || !strings.Contains(err.Error(), "malformed topic from "+base+"/t/7200.json: no post_stream") || !errors.Is(err, ErrTooLarge) || strings.Contains(err.Error(), "7400") {
			t.Fatalf("err = %v", err)
		}
		sameIDs(t, "kept", b.Mentions, forumID(base, 91003))
	})
}
