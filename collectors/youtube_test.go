package collectors

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pantau/pantau/collectors/fakesource"
	"github.com/pantau/pantau/store"
	"github.com/pantau/pantau/store/secret"
)

func youTubeSource(base string, key string, channels ...string) SourceConfig {
	return SourceConfig{Name: "kilat-youtube", Kind: KindYouTube, Brand: "kilat", YouTube: &YouTubeConfig{
		Channels: channels, APIKey: secret.New(key), FeedBase: base, APIBase: base + "/youtube/v3",
	}}
}

func newTestYouTube(t *testing.T, cfg SourceConfig, f *Fetcher) *YouTube {
	t.Helper()
	if err := cfg.Validate("sources[0]", []Brand{reviewsBrand}); err != nil {
		t.Fatal(err)
	}
	y, err := newYouTube(cfg, reviewsBrand, f)
	if err != nil {
		t.Fatal(err)
	}
	return y
}

func TestYouTubeConfigValidate(t *testing.T) {
	tests := map[string]struct {
		cfg  *YouTubeConfig
		want []string
	}{
		"valid":        {cfg: &YouTubeConfig{Channels: []string{fakesource.DemoYouTubeChannel}, Playlists: []string{"UUkilatexpress0000000000"}}},
		"missing":      {want: []string{"sources[3].youtube: required"}},
		"nothing":      {cfg: &YouTubeConfig{}, want: []string{"sources[3].youtube.channels: required (or playlists)"}},
		"handle":       {cfg: &YouTubeConfig{Channels: []string{"@kilatexpress"}}, want: []string{`sources[3].youtube.channels[0]: "@kilatexpress" is not a channel id`}},
		"dup":          {cfg: &YouTubeConfig{Channels: []string{fakesource.DemoYouTubeChannel, fakesource.DemoYouTubeChannel}}, want: []string{"sources[3].youtube.channels[1]: duplicate channel"}},
		"bad playlist": {cfg: &YouTubeConfig{Playlists: []string{"PL bad"}}, want: []string{`sources[3].youtube.playlists[0]: "PL bad" is not a playlist id`}},
		"quota":        {cfg: &YouTubeConfig{Channels: []string{fakesource.DemoYouTubeChannel}, DailyQuota: 20000}, want: []string{"sources[3].youtube.daily_quota: must be between 1 and 10000"}},
		"window":       {cfg: &YouTubeConfig{Channels: []string{fakesource.DemoYouTubeChannel}, CommentWindow: time.Minute}, want: []string{"sources[3].youtube.comment_window: must be between 1h and"}},
		"key with a space": {cfg: &YouTubeConfig{Channels: []string{fakesource.DemoYouTubeChannel}, APIKey: secret.New("AIza SECRETKEY")},
			want: []string{"sources[3].youtube.api_key: not a Data API key"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			errs := tc.cfg.validate("sources[3].youtube")
			if len(errs) != len(tc.want) {
				t.Fatalf("got %v, want %v", errs, tc.want)
			}
			for i, w := range tc.want {
				if !strings.HasPrefix(errs[i].Error(), w) || strings.Contains(errs[i].Error(), "SECRETKEY") {
					t.Errorf("error %d = %q, want prefix %q and no key", i, errs[i], w)
				}
			}
		})
	}
}

func TestYouTubeFeeds(t *testing.T) {
	tests := map[string]struct {
		keywords []string
		want     []string
	}{
		"keep every video of the listed channels": {want: []string{"yt:video:kilatVid001", "yt:video:reviewVid01"}},
		// Keywords filter other channels' videos; the brand's own stay.
		"keywords": {keywords: []string{"harbolnas"}, want: []string{"yt:video:kilatVid001"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			clk := newTestClock()
			fake := fakesource.YouTubeDemo(clk.Now)
			srv := serveAPIFake(t, fake)
			cfg := youTubeSource(srv.URL, "", fakesource.DemoYouTubeChannel, fakesource.DemoYouTubeCreator)
			cfg.Keywords = tc.keywords
			y := newTestYouTube(t, cfg, newTestFetcher(clk))
			if !strings.Contains(y.Coverage(), "Comments are not visible without a Data API key") {
				t.Errorf("coverage = %q", y.Coverage())
			}
			b, err := y.Poll(context.Background(), "")
			if err != nil {
				t.Fatal(err)
			}
			if got := mentionIDsSorted(b.Mentions); !slices.Equal(got, tc.want) {
				t.Fatalf("mentions = %v, want %v", got, tc.want)
			}
			v := mentionByID(t, b.Mentions, "yt:video:kilatVid001")
			if !v.ByBrand || v.URL != "https://www.youtube.com/watch?v=kilatVid001" || v.Author.ProfileURL != "https://www.youtube.com/channel/"+fakesource.DemoYouTubeChannel ||
				v.Title != "Cara lacak paket di aplikasi Kilat Express" || !strings.HasPrefix(v.Text, "Panduan lengkap") {
				t.Errorf("video = %+v", v)
			}
			if i := slices.IndexFunc(b.Samples, func(s store.MentionSample) bool { return s.Key == "youtube:yt:video:kilatVid001" }); i < 0 ||
				*b.Samples[i].Views != 15230 || *b.Samples[i].Likes != 312 {
				t.Errorf("samples = %+v", b.Samples)
			}
			if fake.Units() != 0 {
				t.Errorf("spent %d API units without a key", fake.Units())
			}
		})
	}
}

func TestYouTubeRealFeedCapture(t *testing.T) {
	// After the capture, so its dates are believed.
	clk := &testClock{t: time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)}
	fake := fakesource.NewYouTube("", clk.Now)
	fake.Override("/feeds/videos.xml", "text/xml; charset=UTF-8", fixture(t, "youtube/channel.xml"))
	srv := serveAPIFake(t, fake)
	b, err := newTestYouTube(t, youTubeSource(srv.URL, "", "UCV03SRZXJEz-hchIAogeJOg"), newTestFetcher(clk)).Poll(context.Background(), "")
	var pe *PartialPollError
	if !errors.As(err, &pe) || !strings.Contains(err.Error(), `channel UCV03SRZXJEz-hchIAogeJOg feed entry 2: video id "not a video id!" is not a YouTube video id`) {
		t.Fatalf("err = %v", err)
	}
	v := mentionByID(t, b.Mentions, "yt:video:7-1tNo8HAwk")
	if v.ByBrand || v.Author.Handle != "Claude" || !v.CreatedAt.Equal(time.Date(2026, 5, 12, 16, 52, 13, 0, time.UTC)) {
		t.Errorf("video = %+v", v)
	}
	if len(b.Samples) != 1 || *b.Samples[0].Views != 45537 || *b.Samples[0].Likes != 899 {
		t.Errorf("samples = %+v", b.Samples)
	}
}

func TestYouTubeComments(t *testing.T) {
	for _, inline := range []int{5, 1} {
		t.Run(fmt.Sprintf("%d inline replies", inline), func(t *testing.T) {
			clk := newTestClock()
			fake := fakesource.YouTubeDemo(clk.Now)
			fake.InlineReplies = inline
			srv := serveAPIFake(t, fake)
			st := openStore(t, clk)
			cfg := youTubeSource(srv.URL, fakesource.DemoYouTubeAPIKey, fakesource.DemoYouTubeChannel, fakesource.DemoYouTubeCreator)
			y := newTestYouTube(t, cfg, newTestFetcher(clk))
			clk.Advance(20 * time.Second)
			b, err := y.Poll(context.Background(), "")
			if err != nil {
				t.Fatal(err)
			}
			res, err := st.Ingest(b)
			if err != nil {
				t.Fatal(err)
			}
			top := mentionByID(t, b.Mentions, "UgxKilatC0002")
			if top.ReplyTo != "youtube:yt:video:kilatVid001" || top.ByBrand || top.Author.Handle != "@rina_s" ||
				top.URL != "https://www.youtube.com/watch?lc=UgxKilatC0002&v=kilatVid001" {
				t.Errorf("comment = %+v", top)
			}
			reply := mentionByID(t, b.Mentions, "UgxKilatC0002.AbCdEf02")
			if !reply.ByBrand || reply.ReplyTo != "youtube:UgxKilatC0002" || reply.ThreadRoot != "youtube:yt:video:kilatVid001" {
				t.Errorf("brand reply = %+v", reply)
			}
			if !slices.Contains(res.Answered, "youtube:UgxKilatC0002") {
				t.Errorf("answered = %v", res.Answered)
			}
			for id, answered := range map[string]bool{"UgxKilatC0002": true, "UgxKilatC0003": false, "UgxKilatC0004": false} {
				m, ok, _ := st.Mention("youtube:" + id)
				if !ok || (m.AnsweredAt != nil) != answered {
					t.Errorf("%s stored %v answered %v, want %v", id, ok, m.AnsweredAt != nil, answered)
				}
			}
			// The creator's video gets no comment reads: only the brand's.
			if n := requestsMatching(fake.Requests(), "videoId=reviewVid01"); n != 0 {
				t.Errorf("read comments on another channel's video %d times", n)
			}
			// One commentThreads call per brand video, plus the full
			// replies of the thread whose replies did not all come inline.
			want := 2
			if inline == 1 {
				want = 3
			}
			if fake.Units() != want {
				t.Errorf("spent %d units, want %d: %v", fake.Units(), want, fake.Requests())
			}
			if i := slices.IndexFunc(b.Samples, func(s store.MentionSample) bool { return s.Key == "youtube:UgxKilatC0002" }); i < 0 ||
				*b.Samples[i].Likes != 23 || *b.Samples[i].Replies != 2 {
				t.Errorf("comment samples = %+v", b.Samples)
			}
		})
	}
}

func TestYouTubeHighWaterAndQuota(t *testing.T) {
	clk := newTestClock()
	fake := fakesource.NewYouTube("k3y-for-tests-0001", clk.Now)
	fake.AddVideos(fakesource.YouTubeVideo{ID: "kilatVid009", ChannelID: fakesource.DemoYouTubeChannel, ChannelName: "Kilat Express", Title: "Busy video", Published: clk.Now().Add(-time.Hour)})
	for i := range 150 {
		fake.AddComments(fakesource.YouTubeComment{ID: fmt.Sprintf("UgzBusy%04d", i), VideoID: "kilatVid009", Author: "@u", AuthorChannelID: "UCu000000000000000000000",
			Text: "komentar", Published: clk.Now().Add(-time.Hour).Add(time.Duration(i) * time.Second)})
	}
	srv := serveAPIFake(t, fake)
	st := openStore(t, clk)
	f := newTestFetcher(clk)
	cfg := youTubeSource(srv.URL, "k3y-for-tests-0001", fakesource.DemoYouTubeChannel)
	cfg.YouTube.DailyQuota = 4
	poll := func() (store.Batch, store.IngestResult) {
		t.Helper()
		// A new collector each time: the cursor carries everything.
		b, err := newTestYouTube(t, cfg, f).Poll(context.Background(), state(t, st, cfg.Name).Cursor)
		if err != nil {
			t.Fatal(err)
		}
		res, err := st.Ingest(b)
		if err != nil {
			t.Fatal(err)
		}
		return b, res
	}
	// First poll: two pages of threads (100 + 50).
	_, res := poll()
	if len(res.New) != 151 || fake.Units() != 2 {
		t.Fatalf("first poll: %d new, %d units", len(res.New), fake.Units())
	}
	// One new comment: page 1 reaches the high-water mark, no page 2.
	clk.Advance(time.Minute)
	fake.AddComments(fakesource.YouTubeComment{ID: "UgzBusyNew1", VideoID: "kilatVid009", Author: "@n", AuthorChannelID: "UCn000000000000000000000", Text: "baru", At: 30 * time.Second})
	_, res = poll()
	if got := mentionIDsSorted(res.New); !slices.Equal(got, []string{"UgzBusyNew1"}) || fake.Units() != 3 {
		t.Fatalf("second poll: new %v, %d units", got, fake.Units())
	}
	// The fourth unit is the last of the day's budget; then the budget is
	// spent and the poll says so in its coverage, without an error.
	poll()
	b, _ := poll()
	if fake.Units() != 4 || !strings.Contains(b.Coverage, "Today's comment budget is spent") {
		t.Fatalf("budget: %d units, coverage %q", fake.Units(), b.Coverage)
	}
	// Midnight Pacific: a new day, a new budget.
	clk.Advance(24 * time.Hour)
	poll()
	if fake.Units() != 5 {
		t.Errorf("after midnight Pacific: %d units", fake.Units())
	}
	// Google's own quota error also ends the day's comment reads.
	fake.Quota = 5
	b, _ = poll()
	if !strings.Contains(b.Coverage, "Today's comment budget is spent") {
		t.Errorf("quotaExceeded: coverage %q", b.Coverage)
	}
}

func TestYouTubeFailuresKeepTheRest(t *testing.T) {
	tests := map[string]struct {
		setup      func(fake *fakesource.YouTubeServer)
		key        string
		wantErr    string
		partial    bool
		wantIDs    []string
		retryAfter time.Duration
	}{
		"429 on a feed": {
			setup: func(fake *fakesource.YouTubeServer) {
				fake.Fail("/feeds/", http.StatusTooManyRequests, "45", 1)
			},
			// The first feed read (the brand's) fails; the creator's works.
			wantErr: "channel UCkilatexpress0000000000 feed: GET", partial: true, wantIDs: []string{"yt:video:reviewVid01"}, retryAfter: 45 * time.Second,
		},
		"malformed comment threads": {
			setup: func(fake *fakesource.YouTubeServer) {
				fake.Override("/youtube/v3/commentThreads", "application/json", fixture(t, "youtube/commentThreads-bad.json"))
			},
			wantErr: `video kilatVid001 comment thread 2: comment UgzBadDate01: publishedAt "yesterday" is not a date`, partial: true,
			wantIDs: []string{"yt:video:kilatVid001", "UgzGood00001"},
		},
		"comment threads not JSON": {
			setup: func(fake *fakesource.YouTubeServer) {
				fake.Override("/youtube/v3/commentThreads", "text/html", []byte("<html>Error 502</html>"))
			},
			wantErr: "video kilatVid001 comments: Data API commentThreads: not a list response: invalid JSON at byte 1", partial: true,
			wantIDs: []string{"yt:video:kilatVid001"},
		},
		"wrong API key": {
			key:     "AIzaWRONGkeyWRONGkey",
			wantErr: "HTTP 400 Bad Request", partial: true, wantIDs: []string{"yt:video:kilatVid001"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			clk := newTestClock()
			fake := fakesource.YouTubeDemo(clk.Now)
			if tc.setup != nil {
				tc.setup(fake)
			}
			srv := serveAPIFake(t, fake)
			key := tc.key
			if key == "" {
				key = fakesource.DemoYouTubeAPIKey
			}
			b, err := newTestYouTube(t, youTubeSource(srv.URL, key, fakesource.DemoYouTubeChannel, fakesource.DemoYouTubeCreator), newTestFetcher(clk)).Poll(context.Background(), "")
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want %q", err, tc.wantErr)
			}
			var pe *PartialPollError
			if errors.As(err, &pe) != tc.partial {
				t.Fatalf("partial mismatch: %v", err)
			}
			var se *StatusError
			if tc.retryAfter > 0 && (!errors.As(err, &se) || se.RetryAfter != tc.retryAfter) {
				t.Errorf("retry after = %+v", se)
			}
			for _, id := range tc.wantIDs {
				mentionByID(t, b.Mentions, id)
			}
			if strings.Contains(err.Error(), key) {
				t.Errorf("error leaks the API key: %v", err)
			}
		})
	}
}

func TestYouTubeRefresh(t *testing.T) {
	clk := newTestClock()
	fake := fakesource.YouTubeDemo(clk.Now)
	srv := serveAPIFake(t, fake)
	f := newTestFetcher(clk)
	// The comment was stored before the brand answered (at 15 s).
	clk.Advance(10 * time.Second)
	comment := store.Mention{Kind: KindYouTube, NativeID: "UgxKilatC0002", ReplyTo: "youtube:yt:video:kilatVid001"}
	video := store.Mention{Kind: KindYouTube, NativeID: "yt:video:kilatVid001"}
	clk.Advance(10 * time.Second)
	for name, key := range map[string]string{"with a key": fakesource.DemoYouTubeAPIKey, "without a key": ""} {
		t.Run(name, func(t *testing.T) {
			y := newTestYouTube(t, youTubeSource(srv.URL, key, fakesource.DemoYouTubeChannel), f)
			b, err := y.Refresh(context.Background(), []store.Mention{comment, video})
			if err != nil {
				t.Fatal(err)
			}
			i := slices.IndexFunc(b.Samples, func(s store.MentionSample) bool { return s.Key == "youtube:yt:video:kilatVid001" })
			if i < 0 || *b.Samples[i].Views != 15230 || *b.Samples[i].Likes != 312 {
				t.Fatalf("video samples = %+v", b.Samples)
			}
			if key == "" {
				if len(b.Mentions) != 0 {
					t.Errorf("mentions without a key: %v", mentionIDsSorted(b.Mentions))
				}
				return
			}
			// commentCount counts replies too: two threads, two replies
			// and the older praise.
			if b.Samples[i].Replies == nil || *b.Samples[i].Replies != 5 {
				t.Errorf("comment count = %v", *b.Samples[i].Replies)
			}
			reply := mentionByID(t, b.Mentions, "UgxKilatC0002.AbCdEf02")
			if !reply.ByBrand || reply.ReplyTo != "youtube:UgxKilatC0002" {
				t.Errorf("reply = %+v", reply)
			}
			if slices.Contains(mentionIDsSorted(b.Mentions), "UgxKilatC0002") {
				t.Error("refresh re-sent the thread's own comment")
			}
		})
	}
}

func TestYouTubeDemo(t *testing.T) {
	clk := newTestClock()
	fake := fakesource.YouTubeDemo(clk.Now)
	srv := serveAPIFake(t, fake)
	st := openStore(t, clk)
	cfg := youTubeSource(srv.URL, fakesource.DemoYouTubeAPIKey, fakesource.DemoYouTubeChannel, fakesource.DemoYouTubeCreator)
	cs, err := Build([]SourceConfig{cfg}, []Brand{reviewsBrand}, newTestFetcher(clk))
	if err != nil {
		t.Fatal(err)
	}
	s := NewScheduler(st, storeSink{st}, nil, clk.Now)
	if err := s.Add(cs[0], "@every 2s", 0); err != nil {
		t.Fatal(err)
	}
	for _, step := range []time.Duration{0, 10 * time.Second, 30 * time.Second} {
		clk.Advance(step)
		if err := s.PollNow(context.Background(), cfg.Name); err != nil {
			t.Fatal(err)
		}
	}
	for id, answered := range map[string]bool{"UgxKilatC0001": false, "UgxKilatC0002": true, "UgxKilatC0003": false, "UgxKilatC0004": false} {
		m, ok, _ := st.Mention("youtube:" + id)
		if !ok || (m.AnsweredAt != nil) != answered {
			t.Errorf("%s stored %v answered %v, want %v", id, ok, m.AnsweredAt != nil, answered)
		}
	}
	for _, v := range []string{"kilatVid001", "kilatVid002", "reviewVid01"} {
		if _, ok, _ := st.Mention("youtube:yt:video:" + v); !ok {
			t.Errorf("video %s not stored", v)
		}
	}
	if got := state(t, st, cfg.Name); got.ConsecutiveErrors != 0 || !strings.Contains(got.Coverage, "Comments and replies on the brand's own videos") {
		t.Errorf("state = %+v", got)
	}
}
