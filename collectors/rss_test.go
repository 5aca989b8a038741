package collectors

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/pantau/pantau/store"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// TestRSSFixtures polls each real-world feed shape and compares the
// mentions with a golden file, plus the properties each shape is about.
func TestRSSFixtures(t *testing.T) {
	tests := map[string]struct {
		fixture  string
		keywords []string
		check    func(t *testing.T, ms []store.Mention)
	}{
		"rss2 indonesian forum": {
			fixture: "rss2.xml",
			check: func(t *testing.T, ms []store.Mention) {
				wantIDs(t, ms, "forum.example.id-topic-1001", "https://forum.example.id/t/transfer-gagal/1003", "forum.example.id-topic-1004")
				m := ms[0]
				if m.Text != "Udh 3 jam aplikasi Acme error terus, kecewa bgt min. Tolong dong diperbaiki!" || m.Lang != "id" || m.Author.Handle != "budi_s" {
					t.Errorf("first mention = %+v", m)
				}
			},
		},
		"atom news with a brand reply": {
			fixture: "atom.xml",
			check: func(t *testing.T, ms []store.Mention) {
				wantIDs(t, ms, "urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6c", "urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a")
				if !ms[0].ByBrand || ms[1].ByBrand {
					t.Errorf("ByBrand = %v, %v; want the AcmeCare post only", ms[0].ByBrand, ms[1].ByBrand)
				}
				if ms[1].Lang != "en" || !ms[1].CreatedAt.Equal(time.Date(2024, 6, 4, 9, 0, 0, 0, time.UTC)) {
					t.Errorf("outage mention = %+v", ms[1])
				}
			},
		},
		"google alerts atom": {
			fixture: "galerts.xml",
			check: func(t *testing.T, ms []store.Mention) {
				wantIDs(t, ms, "tag:google.com,2013:googlealerts/feed:12501224780620368192")
				if ms[0].URL != "https://news.example.com/2024/06/04/acme-fined?ref=rss" {
					t.Errorf("URL = %q, want the unwrapped article", ms[0].URL)
				}
				if ms[0].Title != "Acme Bank fined over data leak" {
					t.Errorf("Title = %q, want the highlight tags stripped", ms[0].Title)
				}
			},
		},
		"app store reviews keep every review and skip the app entry": {
			fixture: "appstore.xml",
			check: func(t *testing.T, ms []store.Mention) {
				wantIDs(t, ms, "10987654321", "10987654300")
				if ms[0].Rating == nil || *ms[0].Rating != 1 || ms[1].Rating == nil || *ms[1].Rating != 5 {
					t.Errorf("ratings = %v, %v", ms[0].Rating, ms[1].Rating)
				}
				if ms[0].Text != "Setelah update terbaru aplikasinya force close terus. Tolong diperbaiki, saya gak bisa transfer!" {
					t.Errorf("Text = %q", ms[0].Text)
				}
			},
		},
		"app store reviews filtered by source keywords": {
			fixture:  "appstore.xml",
			keywords: []string{"transfer"},
			check: func(t *testing.T, ms []store.Mention) {
				wantIDs(t, ms, "10987654321")
			},
		},
		"atom thread with a brand reply and per-entry languages": {
			fixture: "thread.atom",
			check: func(t *testing.T, ms []store.Mention) {
				// Newest first; the unrelated post and its reply are gone.
				wantIDs(t, ms, "tag:social.example,2024:c3", "tag:social.example,2024:c2", "tag:social.example,2024:r1", "tag:social.example,2024:c1")
				c3, c2, r1, c1 := ms[0], ms[1], ms[2], ms[3]
				if !r1.ByBrand || r1.ReplyTo != "rss:tag:social.example,2024:c1" {
					t.Errorf("brand reply = %+v", r1)
				}
				if c2.ReplyTo != "rss:tag:social.example,2024:c1" || c3.ReplyTo != "rss:tag:social.example,2024:c2" || c1.ReplyTo != "" {
					t.Errorf("reply links: c1=%q c2=%q c3=%q", c1.ReplyTo, c2.ReplyTo, c3.ReplyTo)
				}
				if c1.Lang != "id" || c2.Lang != "en" || c3.Lang != "id" {
					t.Errorf("langs: c1=%q c2=%q c3=%q", c1.Lang, c2.Lang, c3.Lang)
				}
			},
		},
		"json feed": {
			fixture: "feed.json",
			check: func(t *testing.T, ms []store.Mention) {
				wantIDs(t, ms, "https://watchers.example.org/posts/42")
				if ms[0].Text != "After ten years with Acme, the new fees were the last straw." || ms[0].Author.Handle != "Pat Blogger" {
					t.Errorf("mention = %+v", ms[0])
				}
			},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			clk := newTestClock()
			srv := serveFixture(t, tc.fixture)
			cfg := rssSource("feed", srv.URL+"/feed")
			cfg.Keywords = tc.keywords
			r := newTestRSS(t, cfg, newTestFetcher(clk))
			b, err := r.Poll(context.Background(), "")
			if err != nil {
				t.Fatal(err)
			}
			if b.Source != "feed" || b.Kind != KindRSS || !b.At.Equal(clk.Now()) || b.Cursor == nil {
				t.Fatalf("batch header = %q %q %s cursor=%v", b.Source, b.Kind, b.At, b.Cursor)
			}
			for _, m := range b.Mentions {
				if m.Kind != KindRSS || m.Source != "feed" || m.Brand != "acme" {
					t.Fatalf("mention %q: kind/source/brand = %q/%q/%q", m.NativeID, m.Kind, m.Source, m.Brand)
				}
			}
			tc.check(t, b.Mentions)
			golden(t, strings.ReplaceAll(name, " ", "_")+".json", b.Mentions)
		})
	}
}

func wantIDs(t *testing.T, ms []store.Mention, ids ...string) {
	t.Helper()
	var got []string
	for _, m := range ms {
		got = append(got, m.NativeID)
	}
	if strings.Join(got, "\n") != strings.Join(ids, "\n") {
		t.Fatalf("native ids:\n got %q\nwant %q", got, ids)
	}
}

func golden(t *testing.T, name string, v any) {
	t.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(got) != string(want) {
		t.Fatalf("mentions differ from %s:\n got: %s\nwant: %s", path, got, want)
	}
}

func TestRSSHostileText(t *testing.T) {
	srv := serveFixture(t, "rss2.xml")
	r := newTestRSS(t, rssSource("forum", srv.URL), newTestFetcher(newTestClock()))
	b, err := r.Poll(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	var promo *store.Mention
	for i := range b.Mentions {
		if b.Mentions[i].NativeID == "forum.example.id-topic-1004" {
			promo = &b.Mentions[i]
		}
	}
	if promo == nil {
		t.Fatal("promo item missing")
	}
	// The raw tags are gone; the author's escaped markup is literal text,
	// which the dashboard shows as text.
	if promo.Text != "Promo & diskon <b>50%</b> klik" {
		t.Fatalf("Text = %q", promo.Text)
	}
	for _, bad := range []string{"onerror", "<img", "alert(", "<script", "evil.example"} {
		if strings.Contains(promo.Text, bad) {
			t.Fatalf("Text %q still contains %q", promo.Text, bad)
		}
	}
	if promo.URL != "" {
		t.Fatalf("URL = %q, want a javascript: link dropped", promo.URL)
	}
}

// storeMentions lists every stored mention of a source.
func storeMentions(t *testing.T, st *store.Store, source string) []store.Mention {
	t.Helper()
	ms, err := st.Mentions(store.MentionQuery{Source: source, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return ms
}

func TestRSSDedupAcrossPolls(t *testing.T) {
	clk := newTestClock()
	st := openStore(t, clk)
	sink := storeSink{st}
	// No validators: the server sends the full feed every time, as many do.
	srv := serveFixture(t, "rss2.xml")
	r := newTestRSS(t, rssSource("forum", srv.URL), newTestFetcher(clk))

	var ids [2][]string
	for poll := range 2 {
		b, err := r.Poll(context.Background(), "")
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range b.Mentions {
			ids[poll] = append(ids[poll], m.NativeID)
		}
		res, err := sink.Ingest(context.Background(), b)
		if err != nil {
			t.Fatal(err)
		}
		switch poll {
		case 0:
			if len(res.New) != 3 || res.Duplicates != 0 {
				t.Fatalf("first poll: new=%d dup=%d", len(res.New), res.Duplicates)
			}
		case 1:
			if len(res.New) != 0 || res.Duplicates != 3 {
				t.Fatalf("second poll: new=%d dup=%d", len(res.New), res.Duplicates)
			}
		}
		clk.Advance(5 * time.Minute)
	}
	if strings.Join(ids[0], " ") != strings.Join(ids[1], " ") {
		t.Fatalf("native ids changed between polls: %q vs %q", ids[0], ids[1])
	}
	if n := len(storeMentions(t, st, "forum")); n != 3 {
		t.Fatalf("store holds %d mentions, want 3", n)
	}
}

// An item with neither GUID nor link still gets an id that is stable
// across polls.
func TestRSSHashIDStable(t *testing.T) {
	feed := `<rss version="2.0"><channel><title>t</title>
<item><title>Acme down</title><pubDate>Tue, 04 Jun 2024 08:00:00 GMT</pubDate><description>x</description></item>
</channel></rss>`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, feed) }))
	defer srv.Close()
	r := newTestRSS(t, rssSource("s", srv.URL), newTestFetcher(newTestClock()))
	var ids []string
	for range 2 {
		b, err := r.Poll(context.Background(), "")
		if err != nil || len(b.Mentions) != 1 {
			t.Fatalf("err=%v mentions=%d", err, len(b.Mentions))
		}
		ids = append(ids, b.Mentions[0].NativeID)
	}
	if !strings.HasPrefix(ids[0], "sha256:") || ids[0] != ids[1] {
		t.Fatalf("ids = %q", ids)
	}
}

// conditionalServer serves a feed with validators and answers 304 when the
// client sends them back; it records what it was sent.
type conditionalServer struct {
	*httptest.Server
	full, notModified atomic.Int32
	body              []byte
}

const (
	testETag         = `W/"feed-v1"`
	testLastModified = "Tue, 04 Jun 2024 09:00:00 GMT"
)

func newConditionalServer(t *testing.T, fixtureName string) *conditionalServer {
	cs := &conditionalServer{body: fixture(t, fixtureName)}
	cs.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		inm, ims := r.Header.Get("If-None-Match"), r.Header.Get("If-Modified-Since")
		switch {
		case inm == "" && ims == "":
			cs.full.Add(1)
			w.Header().Set("ETag", testETag)
			w.Header().Set("Last-Modified", testLastModified)
			w.Header().Set("Content-Type", contentTypeOf(fixtureName))
			w.Write(cs.body)
		case inm == testETag && ims == testLastModified:
			cs.notModified.Add(1)
			w.WriteHeader(http.StatusNotModified)
		default:
			// Validators sent, but not the ones we gave out.
			http.Error(w, fmt.Sprintf("unexpected validators %q %q", inm, ims), http.StatusBadRequest)
		}
	}))
	t.Cleanup(cs.Close)
	return cs
}

func TestRSSConditionalGetAndResume(t *testing.T) {
	clk := newTestClock()
	st := openStore(t, clk)
	sink := storeSink{st}
	srv := newConditionalServer(t, "atom.xml")
	cfg := rssSource("techdaily", srv.URL+"/feed.atom")

	first := newTestRSS(t, cfg, newTestFetcher(clk))
	b, err := first.Poll(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Mentions) != 2 || b.Cursor == nil {
		t.Fatalf("first poll: %d mentions, cursor %v", len(b.Mentions), b.Cursor)
	}
	var cur rssCursor
	if err := json.Unmarshal([]byte(*b.Cursor), &cur); err != nil {
		t.Fatal(err)
	}
	if cur.ETag != testETag || cur.LastModified != testLastModified || !cur.Newest.Equal(time.Date(2024, 6, 4, 9, 45, 0, 0, time.UTC)) {
		t.Fatalf("cursor = %+v", cur)
	}
	if _, err := sink.Ingest(context.Background(), b); err != nil {
		t.Fatal(err)
	}

	// Same collector, cursor given back: 304, empty batch, same cursor.
	b2, err := first.Poll(context.Background(), *b.Cursor)
	if err != nil {
		t.Fatal(err)
	}
	if len(b2.Mentions) != 0 || b2.Cursor == nil || *b2.Cursor != *b.Cursor || b2.Source != "techdaily" || b2.At.IsZero() {
		t.Fatalf("304 batch = %+v", b2)
	}

	// A new collector (a restarted daemon) resumes from the stored cursor.
	state, err := st.SourceState("techdaily")
	if err != nil {
		t.Fatal(err)
	}
	restarted := newTestRSS(t, cfg, newTestFetcher(clk))
	b3, err := restarted.Poll(context.Background(), state.Cursor)
	if err != nil {
		t.Fatal(err)
	}
	if len(b3.Mentions) != 0 || *b3.Cursor != state.Cursor {
		t.Fatalf("resumed poll: %d mentions, cursor %q", len(b3.Mentions), *b3.Cursor)
	}
	if srv.full.Load() != 1 || srv.notModified.Load() != 2 {
		t.Fatalf("server saw %d full and %d conditional requests, want 1 and 2", srv.full.Load(), srv.notModified.Load())
	}
}

// sequenceServer answers each request with the next of its responses (the
// last one repeats).
func sequenceServer(t *testing.T, responses ...func(w http.ResponseWriter)) (*httptest.Server, *atomic.Int32) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := int(n.Add(1)) - 1
		responses[min(i, len(responses)-1)](w)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func serve(t *testing.T, name string) func(w http.ResponseWriter) {
	body := fixture(t, name)
	return func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", contentTypeOf(name))
		w.Write(body)
	}
}

func TestRSSBadInputThenRecovers(t *testing.T) {
	tests := map[string]struct {
		first   func(w http.ResponseWriter)
		maxBody int64
		is      error
		wants   []string
	}{
		"malformed xml": {
			first: serve(t, "malformed.xml"),
			is:    ErrMalformedFeed,
			wants: []string{`rss source "blog"`, "malformed feed", "XML syntax error on line 8"},
		},
		"html page instead of a feed": {
			first: serve(t, "notafeed.html"),
			is:    ErrMalformedFeed,
			wants: []string{`rss source "blog"`, "not an RSS, Atom or JSON feed", "text/html"},
		},
		"empty body": {
			first: func(w http.ResponseWriter) {},
			is:    ErrMalformedFeed,
			wants: []string{"empty response body"},
		},
		"oversized response": {
			first: func(w http.ResponseWriter) {
				w.Write([]byte("<rss>" + strings.Repeat("A", 100<<10)))
			},
			maxBody: 64 << 10,
			is:      ErrTooLarge,
			wants:   []string{`rss source "blog"`, "larger than the 64 KiB limit"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			clk := newTestClock()
			srv, _ := sequenceServer(t, tc.first, serve(t, "feed.json"))
			f := NewFetcher(FetcherOptions{Rate: rate.Inf, Now: clk.Now, MaxBodyBytes: tc.maxBody})
			r := newTestRSS(t, rssSource("blog", srv.URL+"/feed"), f)
			_, err := r.Poll(context.Background(), "")
			if !errors.Is(err, tc.is) {
				t.Fatalf("err = %v, want %v", err, tc.is)
			}
			for _, w := range tc.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			b, err := r.Poll(context.Background(), "")
			if err != nil || len(b.Mentions) != 1 {
				t.Fatalf("next poll: err=%v mentions=%d", err, len(b.Mentions))
			}
		})
	}
}

// genFeed builds an RSS feed with n items about Acme, one hour apart from
// newest backwards.
func genFeed(n int, newest time.Time) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0"?><rss version="2.0"><channel><title>big</title>`)
	for i := range n {
		fmt.Fprintf(&b, "<item><guid>item-%d</guid><title>Acme news %d</title><pubDate>%s</pubDate></item>",
			i, i, newest.Add(-time.Duration(i)*time.Hour).Format(time.RFC1123Z))
	}
	b.WriteString("</channel></rss>")
	return b.String()
}

func TestRSSCapsAndDates(t *testing.T) {
	clk := newTestClock()
	now := clk.Now()
	tests := map[string]struct {
		feed   string
		cursor string
		check  func(t *testing.T, ms []store.Mention, cur rssCursor)
	}{
		"items per poll capped, newest kept": {
			feed: genFeed(maxItemsPerPoll+50, now.Add(-time.Hour)),
			check: func(t *testing.T, ms []store.Mention, cur rssCursor) {
				if len(ms) != maxItemsPerPoll || ms[0].NativeID != "item-0" {
					t.Fatalf("%d mentions, first %q", len(ms), ms[0].NativeID)
				}
			},
		},
		"items long before the high-water mark are skipped": {
			feed:   genFeed(10*24, now.Add(-time.Hour)),
			cursor: fmt.Sprintf(`{"newest":%q}`, now.Add(-time.Hour).Format(time.RFC3339)),
			check: func(t *testing.T, ms []store.Mention, cur rssCursor) {
				// 7 days back from the newest item, inclusive.
				if len(ms) != 7*24+1 {
					t.Fatalf("%d mentions, want %d", len(ms), 7*24+1)
				}
			},
		},
		"future dates are not believed": {
			feed: `<rss version="2.0"><channel><title>t</title><item><guid>f</guid><title>Acme</title><pubDate>Fri, 01 Jan 2100 00:00:00 GMT</pubDate></item></channel></rss>`,
			check: func(t *testing.T, ms []store.Mention, cur rssCursor) {
				if !ms[0].CreatedAt.Equal(now) || !cur.Newest.IsZero() {
					t.Fatalf("CreatedAt %s, newest %s", ms[0].CreatedAt, cur.Newest)
				}
			},
		},
		"garbage cursor starts afresh": {
			feed:   genFeed(3, now),
			cursor: "{not json",
			check: func(t *testing.T, ms []store.Mention, cur rssCursor) {
				if len(ms) != 3 || !cur.Newest.Equal(now) {
					t.Fatalf("%d mentions, newest %s", len(ms), cur.Newest)
				}
			},
		},
		"long text capped on a rune boundary": {
			feed: `<rss version="2.0"><channel><title>t</title><item><guid>long</guid><title>Acme</title><description>` + strings.Repeat("é", maxTextBytes) + `</description></item></channel></rss>`,
			check: func(t *testing.T, ms []store.Mention, cur rssCursor) {
				if len(ms[0].Text) > maxTextBytes || !strings.HasSuffix(ms[0].Text, "…") {
					t.Fatalf("text of %d bytes", len(ms[0].Text))
				}
			},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, tc.feed) }))
			defer srv.Close()
			r := newTestRSS(t, rssSource("big", srv.URL), newTestFetcher(clk))
			b, err := r.Poll(context.Background(), tc.cursor)
			if err != nil {
				t.Fatal(err)
			}
			var cur rssCursor
			if err := json.Unmarshal([]byte(*b.Cursor), &cur); err != nil {
				t.Fatal(err)
			}
			tc.check(t, b.Mentions, cur)
		})
	}
}

func TestUnwrapGoogleRedirect(t *testing.T) {
	tests := map[string]struct{ in, want string }{
		"alerts link":       {"https://www.google.com/url?rct=j&sa=t&url=https://example.com/a%3Fb%3D1&ct=ga", "https://example.com/a?b=1"},
		"country domain":    {"https://www.google.co.id/url?q=https://example.id/berita&sa=U", "https://example.id/berita"},
		"not a redirect":    {"https://www.google.com/search?q=acme", "https://www.google.com/search?q=acme"},
		"other host":        {"https://google.evil.com/url?url=https://x.example/", "https://google.evil.com/url?url=https://x.example/"},
		"javascript target": {"https://www.google.com/url?url=javascript:alert(1)", "https://www.google.com/url?url=javascript:alert(1)"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			u, err := urlParse(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if got := unwrapGoogleRedirect(u).String(); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestRSSFilter(t *testing.T) {
	feed := `<?xml version="1.0"?><rss version="2.0"><channel><title>mixed</title>
<item><guid>1</guid><title>ACME down again</title><description>nothing works</description></item>
<item><guid>2</guid><title>Acme anvil cartoon</title><description>classic</description></item>
<item><guid>3</guid><title>Cheap deals</title><description>&lt;p&gt;acme promo spam&lt;/p&gt;</description></item>
<item><guid>4</guid><title>Pesanan</title><description>Kurir Tokopedianya nggak dateng2</description></item>
<item><guid>5</guid><title>Acmeville</title><description>Welcome to Acmeville</description></item>
</channel></rss>`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, feed) }))
	defer srv.Close()
	tests := map[string]struct {
		keywords, exclude []string
		want              []string
	}{
		"brand terms minus brand exclusions": {want: []string{"1", "3"}},
		"source keywords replace the terms":  {keywords: []string{"tokopedia"}, want: []string{"4"}},
		"source exclusions add up":           {exclude: []string{"spam"}, want: []string{"1"}},
		"keep everything but exclusions":     {keywords: []string{"*"}, want: []string{"1", "3", "4", "5"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			cfg := rssSource("mixed", srv.URL)
			cfg.Keywords, cfg.Exclude = tc.keywords, tc.exclude
			b, err := newTestRSS(t, cfg, newTestFetcher(newTestClock())).Poll(context.Background(), "")
			if err != nil {
				t.Fatal(err)
			}
			wantIDs(t, b.Mentions, tc.want...)
		})
	}
}
