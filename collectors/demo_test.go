package collectors

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/pantau/pantau/collectors/fakesource"
	"github.com/pantau/pantau/store"
)

// TestDemoScenario runs every collector the demo config builds against the
// scripted fake sources, through the scheduler into a real store, and
// checks what the demo relies on.
func TestDemoScenario(t *testing.T) {
	clk := newTestClock()
	srv := httptest.NewServer(fakesource.Mux(fakesource.Demo(clk.Now)))
	defer srv.Close()
	brands := []Brand{{
		Name:     fakesource.DemoBrand,
		Terms:    fakesource.DemoTerms,
		Accounts: map[string][]string{KindRSS: {fakesource.DemoBrandAccount}},
	}}
	var sources []SourceConfig
	names := map[string]string{}
	for path := range fakesource.DemoFeeds {
		name := strings.NewReplacer("/", "-", "=", "-", ".", "-").Replace(strings.Trim(path, "/"))
		names[path] = name
		sources = append(sources, SourceConfig{Name: name, Kind: KindRSS, URL: srv.URL + path, Schedule: "@every 2s"})
	}
	cs, err := Build(sources, brands, newTestFetcher(clk))
	if err != nil {
		t.Fatal(err)
	}
	st := openStore(t, clk)
	s := NewScheduler(st, storeSink{st}, nil, clk.Now)
	for _, c := range cs {
		if err := s.Add(c, "@every 2s", 0); err != nil {
			t.Fatal(err)
		}
	}
	// Poll at the start and again once the whole script has played.
	for _, step := range []time.Duration{0, 30 * time.Second} {
		clk.Advance(step)
		for _, c := range cs {
			if err := s.PollNow(context.Background(), c.Name()); err != nil {
				t.Fatalf("%s: %v", c.Name(), err)
			}
		}
	}

	get := func(nativeID string) store.Mention {
		t.Helper()
		m, ok, err := st.Mention(store.MentionKey(KindRSS, nativeID))
		if err != nil || !ok {
			t.Fatalf("mention %q: found=%v err=%v", nativeID, ok, err)
		}
		return m
	}
	// The brand's reply, which never names the brand, is kept and answers
	// the complaint.
	reply := get("tag:social.example,2026:reply-1")
	if !reply.ByBrand || reply.ReplyTo != "rss:tag:social.example,2026:lost-1" {
		t.Errorf("brand reply = %+v", reply)
	}
	if lost := get("tag:social.example,2026:lost-1"); lost.AnsweredAt == nil || lost.AnsweredBy != fakesource.DemoBrandAccount {
		t.Errorf("complaint not marked answered: %+v", lost)
	}
	if ghosted := get("tag:social.example,2026:ghosted-1"); ghosted.AnsweredAt != nil || ghosted.Lang != "id" {
		t.Errorf("ghosted = %+v", ghosted)
	}
	if fr := get("tag:social.example,2026:french-1"); fr.Lang != "fr" {
		t.Errorf("french post lang = %q", fr.Lang)
	}
	hostile := get("tag:social.example,2026:hostile-1")
	if hostile.URL != "" || hostile.Author.Handle != "" || strings.Contains(hostile.Text, "<script>alert(1)</script>") == false {
		// The escaped markup is the post's literal text; the raw author
		// markup and the javascript: link are gone.
		t.Errorf("hostile = %+v", hostile)
	}
	if r := get("https://itunes.example/review/9002"); r.Rating == nil || *r.Rating != 1 {
		t.Errorf("review rating = %v", r.Rating)
	}
	if a := get("tag:google.com,2013:googlealerts/feed:1001"); a.URL != "https://media.example/ekonomi/keluhan-kilat-express" {
		t.Errorf("alert URL = %q", a.URL)
	}
	if _, ok, _ := st.Mention(store.MentionKey(KindRSS, "https://news.example/2026/11/unrelated")); ok {
		t.Error("unrelated news stored")
	}
	for path, name := range names {
		state := state(t, st, name)
		if state.ConsecutiveErrors != 0 || state.ItemsSeen == 0 || state.Cursor == "" {
			t.Errorf("%s: state = %+v", path, state)
		}
	}
}
