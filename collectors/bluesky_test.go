package collectors

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pantau/pantau/collectors/fakesource"
	"github.com/pantau/pantau/store"
	"github.com/pantau/pantau/store/secret"
)

func TestBlueskyConfigValidate(t *testing.T) {
	tests := map[string]struct {
		cfg  *BlueskyConfig
		want []string
	}{
		"no section: all defaults": {cfg: nil},
		"valid": {cfg: &BlueskyConfig{Jetstream: "wss://jetstream1.us-west.bsky.network/subscribe", Identifier: "me.bsky.social",
			AppPassword: secret.New("abcd-efgh-ijkl-mnop"), Collections: []string{"app.bsky.feed.post"}}},
		"jetstream not a websocket": {cfg: &BlueskyConfig{Jetstream: "https://jetstream.example/subscribe"},
			want: []string{"sources[1].bluesky.jetstream: must be an absolute wss or ws URL (got https://jetstream.example/subscribe)"}},
		"bad appview": {cfg: &BlueskyConfig{AppView: "public.api.bsky.app"}, want: []string{"sources[1].bluesky.appview: must be an absolute https or http URL"}},
		"password without identifier": {cfg: &BlueskyConfig{AppPassword: secret.New("x")},
			want: []string{"sources[1].bluesky.identifier: required with app_password"}},
		"identifier without password": {cfg: &BlueskyConfig{Identifier: "me.bsky.social"},
			want: []string{"sources[1].bluesky.app_password: required with identifier"}},
		"bad collection": {cfg: &BlueskyConfig{Collections: []string{"app.bsky.feed.post", "not a nsid"}},
			want: []string{`sources[1].bluesky.collections[1]: "not a nsid" is not a collection NSID`}},
		"no posts": {cfg: &BlueskyConfig{Collections: []string{"app.bsky.feed.like"}},
			want: []string{"sources[1].bluesky.collections: must include app.bsky.feed.post"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			errs := tc.cfg.validate("sources[1].bluesky")
			if len(errs) != len(tc.want) {
				t.Fatalf("got %v, want %v", errs, tc.want)
			}
			for i, w := range tc.want {
				if !strings.HasPrefix(errs[i].Error(), w) {
					t.Errorf("error %d = %q, want prefix %q", i, errs[i], w)
				}
			}
		})
	}
}

func TestBlueskyCoverage(t *testing.T) {
	f := newTestFetcher(newTestClock())
	b := newTestBluesky(t, SourceConfig{Name: "bsky", Kind: KindBluesky, Brand: "kilat"}, f)
	want := `Bluesky: every public post, live from the Jetstream firehose (jetstream2.us-east.bsky.network), matched in Pantau against "Kilat Express", "#kilatexpress", "kilatcare.bsky.social" and mentions of kilatcare.bsky.social. Brand replies come from the same stream and from thread checks on the AppView. Without an app password there is no search backfill: polls add nothing, and posts made while Pantau was disconnected for longer than Jetstream's replay window (about 36 hours) are missed.`
	if got := b.Coverage(); got != want {
		t.Errorf("coverage:\n got %s\nwant %s", got, want)
	}
	batch, err := b.Poll(context.Background(), `{"time_us":5}`)
	if err != nil || len(batch.Mentions) != 0 || batch.Cursor != nil || batch.Coverage != want {
		t.Errorf("poll without credentials = %+v, %v", batch, err)
	}
}

// Refresh reads counts through getPosts (25 a call), followers through
// getProfiles (cached a day), and brand replies through getPostThread.
func TestBlueskyRefresh(t *testing.T) {
	clk := newTestClock()
	var posts []fakesource.BlueskyPost
	var ms []store.Mention
	for i := 0; i < 30; i++ {
		p := kilatPost(i, 0)
		p.Likes, p.LikesPerMin = int64(i), 2
		posts = append(posts, p)
		ms = append(ms, store.Mention{Kind: KindBluesky, NativeID: p.URI()})
	}
	reply := fakesource.BlueskyPost{DID: fakesource.BlueskyDemoBrandDID, Handle: fakesource.BlueskyDemoBrandHandle, RKey: "3kbrandreply1",
		Text: "Maaf kak, DM ya", ReplyParent: posts[3].URI(), At: time.Minute}
	deep := fakesource.BlueskyPost{DID: posts[4].DID, Handle: posts[4].Handle, RKey: "3kfollowup001", Text: "halo??", ReplyParent: posts[4].URI(), At: time.Minute}
	deepReply := fakesource.BlueskyPost{DID: fakesource.BlueskyDemoBrandDID, Handle: fakesource.BlueskyDemoBrandHandle, RKey: "3kbrandreply2",
		Text: "Sudah kami balas via DM", ReplyParent: deep.URI(), ReplyRoot: posts[4].URI(), At: 2 * time.Minute}
	fake := fakesource.NewBlueskyServer(clk.Now, append(posts, reply, deep, deepReply)...)
	srv := startFake(t, fake)
	b := newTestBluesky(t, bskyConfig(srv.URL, "", ""), newTestFetcher(clk))

	clk.Advance(10 * time.Minute)
	batch, err := b.Refresh(context.Background(), ms)
	if err != nil {
		t.Fatal(err)
	}
	if len(batch.Samples) != 30 {
		t.Fatalf("samples = %d", len(batch.Samples))
	}
	s := batch.Samples[2]
	if s.Key != "bluesky:"+posts[2].URI() || *s.Likes != 22 || *s.Reposts != 0 || *s.Followers != 102 || !s.At.Equal(clk.Now()) {
		t.Errorf("sample = %+v likes %d", s, *s.Likes)
	}
	got := map[string]string{}
	for _, m := range batch.Mentions {
		if !m.ByBrand {
			t.Errorf("non-brand mention from a thread: %+v", m)
		}
		got[m.NativeID] = m.ReplyTo
	}
	if len(got) != 2 || got[reply.URI()] != "bluesky:"+posts[3].URI() || got[deepReply.URI()] != "bluesky:"+posts[4].URI() {
		t.Errorf("brand replies = %v", got)
	}
	count := func(method string) int {
		n := 0
		for _, s := range fake.Served() {
			if strings.Contains(s, method) {
				n++
			}
		}
		return n
	}
	if n := count("getPosts"); n != 2 {
		t.Errorf("getPosts calls = %d, want 2 (25 + 5)", n)
	}
	profiles := count("getProfiles")
	clk.Advance(time.Hour)
	if _, err := b.Refresh(context.Background(), ms[:5]); err != nil {
		t.Fatal(err)
	}
	if count("getProfiles") != profiles {
		t.Error("profiles fetched again within a day")
	}
	clk.Advance(25 * time.Hour)
	if _, err := b.Refresh(context.Background(), ms[:5]); err != nil {
		t.Fatal(err)
	}
	if count("getProfiles") == profiles {
		t.Error("profiles not fetched again after a day")
	}
}

func TestBlueskyRateLimit(t *testing.T) {
	tests := map[string]struct {
		reset time.Duration
		want  time.Duration
	}{
		"reset as a Unix time":   {reset: 90 * time.Second, want: 90 * time.Second},
		"reset already past":     {reset: -time.Minute, want: 0},
		"reset beyond a day cap": {reset: 72 * time.Hour, want: maxRetryAfter},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			clk := newTestClock()
			fake := fakesource.NewBlueskyServer(clk.Now, kilatPost(1, 0))
			srv := startFake(t, fake)
			fake.RateLimit(5, clk.Now().Add(tc.reset))
			b := newTestBluesky(t, bskyConfig(srv.URL, "", ""), newTestFetcher(clk))
			_, err := b.Refresh(context.Background(), []store.Mention{{Kind: KindBluesky, NativeID: kilatPost(1, 0).URI()}})
			var se *StatusError
			if !errors.As(err, &se) || se.Code != 429 {
				t.Fatalf("err = %v", err)
			}
			if se.RetryAfter != tc.want {
				t.Errorf("RetryAfter = %s, want %s", se.RetryAfter, tc.want)
			}
		})
	}
	// Seconds from now, as the IETF draft has it.
	clk := newTestClock()
	se := &StatusError{Code: 429, Header: map[string][]string{"Ratelimit-Reset": {"42"}}}
	if err := bskyRateLimit(se, clk.Now()); !errors.As(err, &se) || se.RetryAfter != 42*time.Second {
		t.Errorf("delta seconds: %v", se.RetryAfter)
	}
}

// With an app password, Poll backfills through searchPosts: one login,
// refreshed sessions, since= from the cursor, dedup by uri, and only
// posts that really match.
func TestBlueskyPollSearch(t *testing.T) {
	clk := newTestClock()
	old := kilatPost(1, 0)
	old.Published = clk.Now().Add(-48 * time.Hour) // before the first backfill window
	recent := kilatPost(2, 0)
	recent.Published = clk.Now().Add(-2 * time.Hour)
	recent.Reposts = 7
	loose := fakesource.BlueskyPost{DID: "did:plc:loose", Handle: "loose.bsky.social", RKey: "3kloose", Text: "kilatan cahaya dan express train, bukan kilatexpressway", At: 0}
	fake := fakesource.NewBlueskyServer(clk.Now, old, recent, loose)
	fake.Identifier, fake.Password = "monitor.bsky.social", "app-pass-1234"
	srv := startFake(t, fake)
	cfg := bskyConfig(srv.URL, "monitor.bsky.social", "app-pass-1234")
	cfg.Bluesky.Search = []string{"kilat"}
	b := newTestBluesky(t, cfg, newTestFetcher(clk))

	b1, err := b.Poll(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(b1.Mentions) != 1 || b1.Mentions[0].NativeID != recent.URI() || b1.Mentions[0].Author.Handle != recent.Handle {
		t.Fatalf("first poll = %+v", b1.Mentions)
	}
	if len(b1.Samples) != 1 || *b1.Samples[0].Reposts != 7 || *b1.Samples[0].Followers != recent.Followers {
		t.Errorf("samples = %+v", b1.Samples)
	}
	// The position is the newest post the search returned (the loose
	// match, indexed a second after it was made), kept or not.
	newest := parseJetCursor(*b1.Cursor).Search["kilat"]
	if !newest.Equal(clk.Now().Add(time.Second)) {
		t.Errorf("search cursor = %s", *b1.Cursor)
	}

	// A new post; the session expired meanwhile: refreshSession, not a
	// new login.
	clk.Advance(time.Minute)
	fresh := kilatPost(3, time.Minute)
	fake.Add(fresh)
	fake.ExpireSessions()
	b2, err := b.Poll(context.Background(), *b1.Cursor)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, m := range b2.Mentions {
		ids[m.NativeID] = true
	}
	if !ids[fresh.URI()] {
		t.Errorf("second poll = %v", ids)
	}
	if fake.Logins() != 1 {
		t.Errorf("logged in %d times, want 1", fake.Logins())
	}
	var since string
	for _, s := range fake.Served() {
		if strings.Contains(s, "searchPosts") {
			since = s
		}
	}
	wantSince := "since=" + strings.ReplaceAll(newest.Add(-bskySearchOverlap).UTC().Format(time.RFC3339), ":", "%3A")
	if !strings.Contains(since, wantSince) || !strings.Contains(since, "sort=latest") {
		t.Errorf("last search %s, want %s", since, wantSince)
	}
	// Bad credentials: a clear error without the password in it.
	cfg.Bluesky.AppPassword = secret.New("wrong-password-99")
	_, err = newTestBluesky(t, cfg, newTestFetcher(clk)).Poll(context.Background(), "")
	if err == nil || !strings.Contains(err.Error(), "createSession") || strings.Contains(err.Error(), "wrong-password-99") {
		t.Errorf("bad login: %v", err)
	}
}

// The demo scenario through Stream and Refresh: the viral complaint's
// likes climb, the brand's reply answers Joe, Putu's post tagging the
// brand is found through its facet.
func TestBlueskyDemoScenario(t *testing.T) {
	clk := newTestClock()
	fake := fakesource.BlueskyDemo(clk.Now)
	srv := startFake(t, fake)
	st := openStore(t, clk)
	b := newTestBluesky(t, bskyConfig(srv.URL, "", ""), newTestFetcher(clk))
	r := &streamRun{cursor: jetCursor{TimeUS: clk.Now().Add(-time.Hour).UnixMicro()}.encode()}
	clk.Advance(20 * time.Second)
	runStreamUntil(t, b, r, 1, func() bool { return len(r.mentions()) >= 5 })
	for _, batch := range r.batches {
		if _, err := st.Ingest(batch); err != nil {
			t.Fatal(err)
		}
	}
	ms, _ := st.Mentions(store.MentionQuery{Kind: KindBluesky})
	if len(ms) != 5 {
		var txt []string
		for _, m := range ms {
			txt = append(txt, m.Text)
		}
		t.Fatalf("stored %d: %q", len(ms), txt)
	}
	byRKey := map[string]store.Mention{}
	for _, m := range ms {
		byRKey[lastSegment(m.NativeID)] = m
	}
	if q := byRKey["3kdemoq00001"]; q.AnsweredAt == nil {
		t.Errorf("question not answered: %+v", q)
	}
	if p := byRKey["3kdemotag001"]; p.Author.Handle != "putu.bsky.social" {
		t.Errorf("tagged = %+v", p)
	}
	clk.Advance(10 * time.Minute)
	rb, err := b.Refresh(context.Background(), ms)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range rb.Samples {
		if strings.HasSuffix(s.Key, "3kdemoviral1") && (s.Likes == nil || *s.Likes < 300) {
			t.Errorf("viral likes = %v", *s.Likes)
		}
	}
}
