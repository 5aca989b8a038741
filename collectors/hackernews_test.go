package collectors

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/pantau/pantau/collectors/fakesource"
	"github.com/pantau/pantau/store"
)

func hnSource(base string, mutate func(*HackerNewsConfig)) SourceConfig {
	hc := &HackerNewsConfig{RequestsPerMinute: maxRPM}
	if mutate != nil {
		mutate(hc)
	}
	return SourceConfig{Name: "hn", Kind: KindHackerNews, URL: base, Brand: "kilat", HackerNews: hc}
}

func newTestHN(t *testing.T, f *Fetcher, cfg SourceConfig) *HackerNews {
	t.Helper()
	c, err := NewHackerNews(cfg, kx, f)
	if err != nil {
		t.Fatal(err)
	}
	return c.(*HackerNews)
}

func TestHackerNewsConfigValidate(t *testing.T) {
	tests := map[string]struct {
		cfg  *HackerNewsConfig
		want []string
	}{
		"no section":    {},
		"valid":         {cfg: &HackerNewsConfig{Tags: []string{"story", "ask_hn"}, HitsPerPage: 1000, MaxPages: 3, Backfill: time.Hour}},
		"unknown tag":   {cfg: &HackerNewsConfig{Tags: []string{"story", "job"}}, want: []string{`sources[1].hackernews.tags[1]: unknown tag "job" (allowed: story, comment, poll, show_hn, ask_hn, front_page)`}},
		"page too big":  {cfg: &HackerNewsConfig{HitsPerPage: 5000}, want: []string{"sources[1].hackernews.hits_per_page: must be between 1 and 1000 (0 means 100), got 5000"}},
		"backfill long": {cfg: &HackerNewsConfig{Backfill: 800 * time.Hour}, want: []string{"sources[1].hackernews.backfill: must be between 1m and 720h0m0s"}},
		"pages":         {cfg: &HackerNewsConfig{MaxPages: -1}, want: []string{"sources[1].hackernews.max_pages: must be between 1 and 50"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			cfg := SourceConfig{Name: "hn", Kind: KindHackerNews, Brand: "kilat", HackerNews: tc.cfg}
			checkFieldErrors(t, cfg.Validate("sources[1]", []Brand{kx}), tc.want)
		})
	}
	// A section of another kind is a typo.
	cfg := SourceConfig{Name: "hn", Kind: KindHackerNews, Brand: "kilat", Reddit: &RedditConfig{}}
	checkFieldErrors(t, cfg.Validate("sources[1]", []Brand{kx}), []string{`sources[1].reddit: a reddit section on a source of kind "hackernews"`})
	if _, err := NewHackerNews(SourceConfig{Name: "hn", Keywords: []string{"*"}}, kx, newTestFetcher(newTestClock())); err == nil || !strings.Contains(err.Error(), "all of Hacker News") {
		t.Errorf("keywords [*]: %v", err)
	}
}

func TestHackerNewsFixture(t *testing.T) {
	p := newPlatformRun(t)
	base := fixtureServer(t, map[string]string{"/api/v1/search_by_date": "hackernews/search.json"})
	h := newTestHN(t, p.f, hnSource(base, nil))
	b, _ := p.poll(h, "")
	// The malformed hit and the comment that names the brand only
	// through its story's title are gone.
	sameIDs(t, "mentions", b.Mentions, "43100021", "43100001")
	c, _ := findMention(b.Mentions, "43100021")
	if c.Text != "Kilat Express di Jakarta lumayan cepat sih, tapi CS-nya lambat banget & paket hilang." || c.ReplyTo != "hackernews:43100020" ||
		c.ThreadRoot != "hackernews:43100020" || c.URL != "https://news.ycombinator.com/item?id=43100021" || c.Title != "" {
		t.Errorf("comment = %+v", c)
	}
	if s, ok := findSample(b, "hackernews:43100001"); !ok || val(s.Likes) != 12 || val(s.Replies) != 1 {
		t.Errorf("story sample = %+v", s)
	}
	if _, ok := findSample(b, "hackernews:43100021"); ok {
		t.Error("a comment got a sample though Algolia has no points for comments")
	}
	checkGolden(t, "hackernews/poll.golden.json", b.Mentions)
}

func TestHackerNewsPoll(t *testing.T) {
	p := newPlatformRun(t)
	var stories []fakesource.HNItem
	for i := range 5 {
		stories = append(stories, fakesource.HNItem{ID: int64(100 + i), Author: "u", Title: fmt.Sprintf("Kilat Express story %d", i), At: -time.Duration(10-i) * time.Minute})
	}
	srv := fakesource.HackerNewsDemo(p.clk.Now)
	srv.Add(stories...)
	h := newTestHN(t, p.f, hnSource(p.serve(srv), func(c *HackerNewsConfig) { c.HitsPerPage = 2 }))
	p.clk.Advance(time.Minute)
	b, _ := p.poll(h, "")
	sameIDs(t, "mentions", b.Mentions, "43100001", "43100010", "43100021", "100", "101", "102", "103", "104", "43100004")

	// One query per term (Algolia has no OR), paged, plus the brand's own
	// posts by author tag.
	byQuery := map[string][]string{}
	for _, r := range srv.RequestsTo("/api/v1/search_by_date") {
		k := r.Query.Get("query") + "|" + r.Query.Get("tags")
		byQuery[k] = append(byQuery[k], r.Query.Get("page"))
		if nf := r.Query.Get("numericFilters"); nf != fmt.Sprintf("created_at_i>%d", p.clk.Now().Add(-defaultBackfill).Unix()) || r.Query.Get("hitsPerPage") != "2" {
			t.Errorf("filters = %v", r.Query)
		}
	}
	if got := byQuery["Kilat Express|(story,comment)"]; !slices.Equal(got, []string{"0", "1", "2", "3"}) {
		t.Errorf("pages = %v (all: %v)", got, byQuery)
	}
	if _, ok := byQuery["|(story,comment),author_kilat_eng"]; !ok {
		t.Errorf("no brand author query: %v", byQuery)
	}
	// The brand's answer to the "same here" comment (not a mention) is
	// linked to the customer's story, as Refresh would link it.
	reply, _ := findMention(b.Mentions, "43100004")
	if !reply.ByBrand || reply.ReplyTo != "hackernews:43100001" || reply.ThreadRoot != "hackernews:43100001" {
		t.Errorf("brand reply = %+v", reply)
	}
	if m := p.mention("hackernews:43100001"); m.AnsweredAt == nil || m.AnsweredBy != "kilat_eng" {
		t.Errorf("story not answered: %+v", m)
	}
	if m := p.mention("hackernews:43100021"); m.AnsweredAt != nil || m.Text == "" {
		t.Errorf("Indonesian comment = %+v", m)
	}
}

func TestHackerNewsCursorAcrossRestarts(t *testing.T) {
	p := newPlatformRun(t)
	start := p.clk.Now()
	srv := fakesource.NewHackerNewsServer(p.clk.Now,
		fakesource.HNItem{ID: 1, Author: "a", Title: "Kilat Express one", At: -5 * time.Minute},
		fakesource.HNItem{ID: 2, Author: "b", Title: "Kilat Express two", At: time.Minute},
		// Indexed late: written before the first poll's newest item.
		fakesource.HNItem{ID: 3, Author: "c", Title: "Kilat Express three", Published: start.Add(-10 * time.Minute), At: 90 * time.Second},
	)
	base := p.serve(srv)
	b1, cur := p.poll(newTestHN(t, p.f, hnSource(base, nil)), "")
	sameIDs(t, "first", b1.Mentions, "1")
	b2, cur2 := p.poll(newTestHN(t, p.f, hnSource(base, nil)), cur)
	sameIDs(t, "repeat", b2.Mentions)
	if cur2 != cur {
		t.Errorf("cursor moved: %s -> %s", cur, cur2)
	}
	p.clk.Advance(2 * time.Minute)
	b3, _ := p.poll(newTestHN(t, p.f, hnSource(base, nil)), cur2)
	sameIDs(t, "after restart", b3.Mentions, "2", "3")
	last := srv.RequestsTo("/api/v1/search_by_date")
	if nf := last[len(last)-1].Query.Get("numericFilters"); nf != fmt.Sprintf("created_at_i>%d", start.Add(-5*time.Minute-hnOverlap).Unix()) {
		t.Errorf("numericFilters = %q, want the mark minus the overlap", nf)
	}
}

func TestHackerNewsRefresh(t *testing.T) {
	p := newPlatformRun(t)
	srv := fakesource.NewHackerNewsServer(p.clk.Now,
		fakesource.HNItem{ID: 10, Author: "budi", Title: "Kilat Express API down?", At: -time.Hour, Points: 5, PointsPerMinute: 3,
			Children: []fakesource.HNItem{
				{ID: 11, Author: "ana", Text: "<p>Kilat Express webhooks too</p>", At: -50 * time.Minute, Children: []fakesource.HNItem{
					{ID: 12, Author: "kilat_eng", Text: "<p>Fixed, sorry!</p>", At: 5 * time.Minute},
				}},
				{ID: 13, Author: "bob", Text: "<p>me too</p>", At: -40 * time.Minute},
			}},
		fakesource.HNItem{ID: 20, Author: "cici", Title: "Kilat Express lost my parcel", At: -time.Hour, Points: 1},
	)
	h := newTestHN(t, p.f, hnSource(p.serve(srv), nil))
	p.poll(h, "")
	p.clk.Advance(10 * time.Minute)
	b := p.refresh(h)
	// The brand answered the comment, the nearest customer mention.
	sameIDs(t, "brand replies", b.Mentions, "12")
	if r := b.Mentions[0]; !r.ByBrand || r.ReplyTo != "hackernews:11" || r.ThreadRoot != "hackernews:10" || r.Text != "Fixed, sorry!" {
		t.Errorf("reply = %+v", r)
	}
	if m := p.mention("hackernews:11"); m.AnsweredAt == nil {
		t.Error("comment not answered")
	}
	if m := p.mention("hackernews:10"); m.AnsweredAt != nil {
		t.Error("story answered by a reply to a comment below it")
	}
	s, _ := findSample(b, "hackernews:10")
	if val(s.Likes) != 5+3*70 || val(s.Replies) != 3 {
		t.Errorf("story sample: likes %d replies %d", val(s.Likes), val(s.Replies))
	}
	if s, _ := findSample(b, "hackernews:11"); s.Likes != nil || val(s.Replies) != 1 {
		t.Errorf("comment sample: %+v", s)
	}
	if n := len(srv.RequestsTo("/api/v1/items/")); n != 2 {
		t.Errorf("%d item reads, want one per story", n)
	}
	// A later poll finds the same reply by its author and agrees on the
	// link; the store keeps one.
	b2, _ := p.poll(h, "")
	if r, ok := findMention(b2.Mentions, "12"); !ok || r.ReplyTo != "hackernews:11" {
		t.Errorf("poll linked the reply differently: %+v", r)
	}
}

func TestHackerNewsRateLimit(t *testing.T) {
	p := newPlatformRun(t)
	srv := fakesource.HackerNewsDemo(p.clk.Now)
	h := newTestHN(t, p.f, hnSource(p.serve(srv), nil))
	srv.FailNext(1, "/api/v1/search_by_date", 429, "20")
	_, err := guarded(t, "poll", func(ctx context.Context) (store.Batch, error) { return h.Poll(ctx, "") })
	if se := statusOf(t, err); se.Code != 429 || se.RetryAfter != 20*time.Second || !strings.Contains(err.Error(), `hackernews source "hn"`) {
		t.Fatalf("err = %v", err)
	}
	n := len(srv.Requests())
	_, err = guarded(t, "refresh", func(ctx context.Context) (store.Batch, error) {
		return h.Refresh(ctx, []store.Mention{{Kind: KindHackerNews, NativeID: "43100001"}})
	})
	if se := statusOf(t, err); se.RetryAfter != 20*time.Second || len(srv.Requests()) != n {
		t.Fatalf("held refresh: %v, %d requests", err, len(srv.Requests())-n)
	}
	p.clk.Advance(21 * time.Second)
	p.poll(h, "")
}

func TestHackerNewsMalformed(t *testing.T) {
	tests := map[string]struct {
		body    string
		maxBody int64
		want    string
	}{
		"html":           {body: "<!doctype html><title>502</title>", want: "HTML instead of JSON"},
		"no hits":        {body: `{"message":"ok"}`, want: "no hits or page (not an Algolia search result)"},
		"hits not array": {body: `{"hits":{},"page":0}`, want: "unexpected JSON: hits is a object"},
		"oversized":      {body: `{"hits":[],"page":0,"nbPages":1}` + strings.Repeat(" ", 3000), maxBody: 2048, want: "larger than the 2 KiB limit"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			clk := newTestClock()
			base := fixtureServer(t, map[string]string{"/api/v1/search_by_date": "raw:" + tc.body})
			h := newTestHN(t, NewFetcher(FetcherOptions{Rate: rate.Inf, Now: clk.Now, MaxBodyBytes: tc.maxBody}), hnSource(base, nil))
			_, err := guarded(t, "poll", func(ctx context.Context) (store.Batch, error) { return h.Poll(ctx, "") })
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), `hackernews source "hn"`) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
	t.Run("refresh keeps the good threads", func(t *testing.T) {
		clk := newTestClock()
		base := fixtureServer(t, map[string]string{
			"/api/v1/items/43100001": "hackernews/item.json",
			"/api/v1/items/666":      `raw:{"id":"six"}`,
			"/api/v1/items/777":      "raw:" + strings.Repeat(`{"id":1,"children":[`, 200),
		})
		h := newTestHN(t, NewFetcher(FetcherOptions{Rate: rate.Inf, Now: clk.Now, MaxBodyBytes: 2048}), hnSource(base, nil))
		ms := []store.Mention{
			{Kind: KindHackerNews, NativeID: "666"},
			{Kind: KindHackerNews, NativeID: "43100001", Title: "Ask HN: Kilat Express"},
			{Kind: KindHackerNews, NativeID: "888"}, // gone: 404 is not an error
			{Kind: KindHackerNews, NativeID: "777"},
		}
		b, err := h.Refresh(context.Background(), ms)
		if err == nil || !strings.Contains(err.Error(), "malformed item from "+base+"/api/v1/items/666") || !errors.Is(err, ErrTooLarge) || strings.Contains(err.Error(), "888") {
			t.Fatalf("err = %v", err)
		}
		sameIDs(t, "kept", b.Mentions, "43100004")
		if r := b.Mentions[0]; r.ReplyTo != "hackernews:43100001" {
			t.Errorf("reply = %+v", r)
		}
		// The deleted comment (author and text null) does not count.
		if s, ok := findSample(b, "hackernews:43100001"); !ok || val(s.Likes) != 31 || val(s.Replies) != 3 {
			t.Errorf("sample = %+v (likes %d replies %d)", s, val(s.Likes), val(s.Replies))
		}
	})
}

// TestHackerNewsQueryEscaping makes sure a term is sent as one query
// parameter, not spliced into the URL.
func TestHackerNewsQueryEscaping(t *testing.T) {
	p := newPlatformRun(t)
	srv := fakesource.NewHackerNewsServer(p.clk.Now)
	cfg := hnSource(p.serve(srv), nil)
	cfg.Keywords = []string{"kilat&tags=front_page#x"}
	p.poll(newTestHN(t, p.f, cfg), "")
	r := srv.RequestsTo("/api/v1/search_by_date")[0]
	if r.Query.Get("query") != "kilat&tags=front_page#x" || r.Query.Get("tags") != "(story,comment)" {
		t.Errorf("query = %v", url.Values(r.Query))
	}
}
