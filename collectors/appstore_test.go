package collectors

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
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

	"github.com/pantau/pantau/collectors/fakesource"
	"github.com/pantau/pantau/store"
	"github.com/pantau/pantau/store/secret"
)

var reviewsBrand = Brand{
	Name:     "kilat",
	Terms:    []string{"kilat express"},
	Accounts: map[string][]string{KindAppStore: {"Kilat Express Care"}, KindGooglePlay: {"Kilat Express"}, KindYouTube: {fakesource.DemoYouTubeChannel}},
}

// serve starts a loopback server for a fake.
func serveAPIFake(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func writeTestSecret(t *testing.T, name string, content []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, content, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func appStoreSource(base string, countries ...string) SourceConfig {
	return SourceConfig{Name: "kilat-appstore", Kind: KindAppStore, Brand: "kilat", AppStore: &AppStoreConfig{
		AppID: fakesource.DemoAppStoreID, Countries: countries, FeedBase: base, ConnectBase: base,
	}}
}

func newTestAppStore(t *testing.T, cfg SourceConfig, f *Fetcher) *AppStore {
	t.Helper()
	if err := cfg.Validate("sources[0]", []Brand{reviewsBrand}); err != nil {
		t.Fatal(err)
	}
	a, err := newAppStore(cfg, reviewsBrand, f)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// withConnect adds App Store Connect credentials registered with fake,
// the key in a file as an operator would have it.
func withConnect(t *testing.T, cfg SourceConfig, fake *fakesource.AppStoreServer) SourceConfig {
	t.Helper()
	issuer, keyID, p8, err := fake.NewConnectKey()
	if err != nil {
		t.Fatal(err)
	}
	c := *cfg.AppStore
	c.IssuerID, c.KeyID, c.PrivateKeyFile = issuer, keyID, writeTestSecret(t, "AuthKey.p8", p8)
	cfg.AppStore = &c
	return cfg
}

func mentionIDsSorted(ms []store.Mention) []string {
	out := make([]string, 0, len(ms))
	for _, m := range ms {
		out = append(out, m.NativeID)
	}
	slices.Sort(out)
	return out
}

func mentionByID(t *testing.T, ms []store.Mention, nativeID string) store.Mention {
	t.Helper()
	for _, m := range ms {
		if m.NativeID == nativeID {
			return m
		}
	}
	t.Fatalf("no mention %q among %v", nativeID, mentionIDsSorted(ms))
	return store.Mention{}
}

func requestsMatching(reqs []string, substr string) int {
	n := 0
	for _, r := range reqs {
		if strings.Contains(r, substr) {
			n++
		}
	}
	return n
}

func TestAppStoreConfigValidate(t *testing.T) {
	good := func() *AppStoreConfig { return &AppStoreConfig{AppID: "1500000001", Countries: []string{"id", "us"}} }
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	der, _ := x509.MarshalPKCS8PrivateKey(p384)
	wrongCurve := writeTestSecret(t, "p384.p8", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	garbage := writeTestSecret(t, "garbage.p8", []byte("-----BEGIN PRIVATE KEY-----\nU0VDUkVUU1RVRkZhYmMxMjM=\n-----END PRIVATE KEY-----\n"))
	tests := map[string]struct {
		cfg  *AppStoreConfig
		want []string
	}{
		"valid":         {cfg: good()},
		"missing":       {cfg: nil, want: []string{"sources[2].appstore: required"}},
		"no app id":     {cfg: &AppStoreConfig{Countries: []string{"id"}}, want: []string{"sources[2].appstore.app_id: required"}},
		"named app id":  {cfg: &AppStoreConfig{AppID: "kilat", Countries: []string{"id"}}, want: []string{`sources[2].appstore.app_id: "kilat" is not a numeric App Store id`}},
		"no countries":  {cfg: &AppStoreConfig{AppID: "1"}, want: []string{"sources[2].appstore.countries: required"}},
		"bad country":   {cfg: &AppStoreConfig{AppID: "1", Countries: []string{"id", "usa"}}, want: []string{`sources[2].appstore.countries[1]: "usa" is not a two-letter ISO 3166 country code`}},
		"dup country":   {cfg: &AppStoreConfig{AppID: "1", Countries: []string{"id", "ID"}}, want: []string{`sources[2].appstore.countries[1]: duplicate country "id" (also countries[0])`}},
		"too many page": {cfg: &AppStoreConfig{AppID: "1", Countries: []string{"id"}, MaxPages: 11}, want: []string{"sources[2].appstore.max_pages: must be between 1 and 10"}},
		"http base": {cfg: &AppStoreConfig{AppID: "1", Countries: []string{"id"}, ConnectBase: "http://evil.example.com"},
			want: []string{"sources[2].appstore.connect_base: http://evil.example.com: must be https"}},
		"half credentials": {cfg: &AppStoreConfig{AppID: "1", Countries: []string{"id"}, KeyID: "2X9R4HXF34"},
			want: []string{"sources[2].appstore.issuer_id: required with App Store Connect credentials", "sources[2].appstore.private_key_file: required"}},
		"wrong curve": {cfg: &AppStoreConfig{AppID: "1", Countries: []string{"id"}, IssuerID: "57246542-96fe-1a63-e053-0824d011072a", KeyID: "2X9R4HXF34", PrivateKeyFile: wrongCurve},
			want: []string{"sources[2].appstore.private_key_file: not an App Store Connect key: the key is not an ECDSA P-256 key"}},
		"garbage key": {cfg: &AppStoreConfig{AppID: "1", Countries: []string{"id"}, IssuerID: "57246542-96fe-1a63-e053-0824d011072a", KeyID: "2X9R4HXF34", PrivateKey: secret.New("SECRETSTUFFabc123")},
			want: []string{`sources[2].appstore.private_key: not an App Store Connect key: expected a PEM "PRIVATE KEY" block`}},
		"garbage pem": {cfg: &AppStoreConfig{AppID: "1", Countries: []string{"id"}, IssuerID: "57246542-96fe-1a63-e053-0824d011072a", KeyID: "2X9R4HXF34", PrivateKeyFile: garbage},
			want: []string{"sources[2].appstore.private_key_file: not an App Store Connect key: the PEM block is not a PKCS #8 private key"}},
		"bad ids": {cfg: &AppStoreConfig{AppID: "1", Countries: []string{"id"}, IssuerID: "me", KeyID: "key", PrivateKeyFile: garbage},
			want: []string{`sources[2].appstore.issuer_id: "me" is not an issuer id`, `sources[2].appstore.key_id: "key" is not a key id`,
				"sources[2].appstore.private_key_file: not an App Store Connect key: the PEM block is not a PKCS #8 private key"}},
		"missing key file": {cfg: &AppStoreConfig{AppID: "1", Countries: []string{"id"}, IssuerID: "57246542-96fe-1a63-e053-0824d011072a", KeyID: "2X9R4HXF34", PrivateKeyFile: "/nonexistent/AuthKey.p8"},
			want: []string{"sources[2].appstore.private_key_file: read secret file"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			errs := tc.cfg.validate("sources[2].appstore")
			if len(errs) != len(tc.want) {
				t.Fatalf("got %d errors, want %d: %v", len(errs), len(tc.want), errs)
			}
			for i, w := range tc.want {
				if !strings.HasPrefix(errs[i].Error(), w) {
					t.Errorf("error %d = %q, want prefix %q", i, errs[i], w)
				}
				if strings.Contains(errs[i].Error(), "SECRETSTUFF") || strings.Contains(errs[i].Error(), "U0VDUkVU") {
					t.Errorf("error leaks the key: %s", errs[i])
				}
			}
		})
	}
}

// appStoreReviewsN scripts n reviews in a storefront, one a minute, the newest
// last.
func appStoreReviewsN(cc string, from, n int, start time.Time) []fakesource.AppStoreReview {
	out := make([]fakesource.AppStoreReview, n)
	for i := range out {
		k := from + i
		out[i] = fakesource.AppStoreReview{
			ID: fmt.Sprintf("2%010d", k), Country: cc, Author: fmt.Sprintf("user%d", k), Rating: 1 + k%5, VoteSum: k % 3,
			Title: fmt.Sprintf("Review %d", k), Text: "Kilat Express review number " + fmt.Sprint(k),
			Updated: start.Add(-24 * time.Hour).Add(time.Duration(k) * time.Minute),
		}
	}
	return out
}

func TestAppStorePagingHighWaterAndRestart(t *testing.T) {
	clk := newTestClock()
	fake := fakesource.NewAppStore(fakesource.DemoAppStoreID, clk.Now)
	fake.Add(appStoreReviewsN("id", 0, 120, clk.Now())...)
	fake.Add(appStoreReviewsN("us", 1000, 3, clk.Now())...)
	srv := serveAPIFake(t, fake)
	st := openStore(t, clk)
	f := newTestFetcher(clk)
	cfg := appStoreSource(srv.URL, "id", "us")

	// First poll: every page down to the end of the feed.
	b, err := newTestAppStore(t, cfg, f).Poll(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Mentions) != 123 || b.Cursor == nil {
		t.Fatalf("first poll: %d mentions, cursor %v", len(b.Mentions), b.Cursor)
	}
	reqs := fake.Requests()
	for _, p := range []string{"/id/rss/customerreviews/page=1/", "/id/rss/customerreviews/page=2/", "/id/rss/customerreviews/page=3/", "/us/rss/customerreviews/page=1/"} {
		if requestsMatching(reqs, p) != 1 {
			t.Errorf("%s requested %d times: %v", p, requestsMatching(reqs, p), reqs)
		}
	}
	m := mentionByID(t, b.Mentions, "20000000119")
	if m.Kind != KindAppStore || m.Rating == nil || *m.Rating != 1+119%5 || m.Lang != "id" || m.Author.Handle != "user119" ||
		m.Title != "Review 119" || m.Text != "Kilat Express review number 119" || m.URL != "https://apps.apple.com/id/app/id1500000001?see-all=reviews" {
		t.Errorf("review = %+v", m)
	}
	if want := clk.Now().Add(-24 * time.Hour).Add(119 * time.Minute); !m.CreatedAt.Equal(want) {
		t.Errorf("created %v, want %v (from <updated>)", m.CreatedAt, want)
	}
	if mentionByID(t, b.Mentions, "20000001000").Lang != "en" {
		t.Error("us storefront review not marked English")
	}
	var votes int
	for _, s := range b.Samples {
		if s.Key == "appstore:20000000119" && s.Likes != nil && *s.Likes == 119%3 {
			votes++
		}
	}
	if votes != 1 || len(b.Samples) != 123 {
		t.Errorf("samples: %d for the review, %d in all", votes, len(b.Samples))
	}
	res, err := st.Ingest(b)
	if err != nil || len(res.New) != 123 {
		t.Fatalf("ingest: %d new, %v", len(res.New), err)
	}
	cursor := state(t, st, "kilat-appstore").Cursor

	// A restart (new collector, stored cursor) with two new reviews: only
	// page 1 is read, and only the new reviews are new.
	clk.Advance(10 * time.Minute)
	fake.Add(fakesource.AppStoreReview{ID: "30000000001", Country: "id", Author: "baru", Rating: 2, Title: "Baru", Text: "Paket telat", At: time.Minute},
		fakesource.AppStoreReview{ID: "30000000002", Country: "id", Author: "baru2", Rating: 5, Title: "Oke", Text: "Cepat", At: 2 * time.Minute})
	before := len(fake.Requests())
	b, err = newTestAppStore(t, cfg, f).Poll(context.Background(), cursor)
	if err != nil {
		t.Fatal(err)
	}
	reqs = fake.Requests()[before:]
	if requestsMatching(reqs, "/id/rss/customerreviews/page=1/") != 1 || requestsMatching(reqs, "page=2") != 0 {
		t.Errorf("second poll requests: %v", reqs)
	}
	res, err = st.Ingest(b)
	if err != nil {
		t.Fatal(err)
	}
	if got := mentionIDsSorted(res.New); !slices.Equal(got, []string{"30000000001", "30000000002"}) {
		t.Errorf("new after restart = %v", got)
	}
	if res.Duplicates == 0 {
		t.Error("the overlap with the high-water mark should come back as duplicates")
	}

	// Nothing changed: page 1 answers 304 and the poll brings nothing.
	cursor = state(t, st, "kilat-appstore").Cursor
	b, err = newTestAppStore(t, cfg, f).Poll(context.Background(), cursor)
	if err != nil || len(b.Mentions) != 0 || *b.Cursor != cursor {
		t.Fatalf("unchanged poll: %d mentions, err %v, cursor changed %v", len(b.Mentions), err, *b.Cursor != cursor)
	}
}

func TestAppStoreDeveloperResponses(t *testing.T) {
	clk := newTestClock()
	fake := fakesource.AppStoreDemo(clk.Now)
	fake.Add(fakesource.AppStoreReview{ID: "11000000009", Country: "us", Author: "pending_pat", Rating: 2, Title: "Slow", Text: "Slow courier",
		Response: "Sorry Pat", ResponsePending: true})
	srv := serveAPIFake(t, fake)
	st := openStore(t, clk)
	f := newTestFetcher(clk)
	cfg := withConnect(t, appStoreSource(srv.URL, fakesource.DemoAppStoreCountries...), fake)
	a := newTestAppStore(t, cfg, f)
	if !strings.Contains(a.Coverage(), "developer's published responses") {
		t.Errorf("coverage = %q", a.Coverage())
	}

	poll := func(c *AppStore, cursor string) store.IngestResult {
		t.Helper()
		b, err := c.Poll(context.Background(), cursor)
		if err != nil {
			t.Fatal(err)
		}
		res, err := st.Ingest(b)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	// At 5 s the 1-star Indonesian review is out, unanswered.
	clk.Advance(5 * time.Second)
	res := poll(a, "")
	if got := mentionIDsSorted(res.New); !slices.Contains(got, "11000000003") || slices.ContainsFunc(got, func(id string) bool { return strings.HasPrefix(id, "response:") }) {
		t.Fatalf("first poll new = %v", got)
	}
	// The developer answers at 16 s. A restarted collector, whose review
	// index is in the cursor, finds the response for a review stored by
	// the earlier poll.
	clk.Advance(15 * time.Second)
	res = poll(newTestAppStore(t, cfg, f), state(t, st, "kilat-appstore").Cursor)
	var reply store.Mention
	for _, m := range res.New {
		if strings.HasPrefix(m.NativeID, "response:") {
			reply = m
		}
	}
	if !reply.ByBrand || reply.ReplyTo != "appstore:11000000003" || reply.Author.Handle != "Kilat Express Care" || reply.Lang != "id" ||
		!strings.Contains(reply.Text, "mohon maaf") {
		t.Fatalf("reply = %+v", reply)
	}
	if !slices.Equal(res.Answered, []string{"appstore:11000000003"}) {
		t.Errorf("answered = %v", res.Answered)
	}
	m, _, _ := st.Mention("appstore:11000000003")
	if m.AnsweredAt == nil || m.AnsweredBy != "Kilat Express Care" {
		t.Errorf("review not marked answered: %+v", m)
	}
	for _, id := range []string{"appstore:11000000004", "appstore:11000000009"} {
		if m, _, _ := st.Mention(id); m.AnsweredAt != nil {
			t.Errorf("%s marked answered (no published response)", id)
		}
	}
	// Polling again finds the same response: a duplicate, nothing new.
	res = poll(a, state(t, st, "kilat-appstore").Cursor)
	if len(res.New) != 0 {
		t.Errorf("third poll new = %v", mentionIDsSorted(res.New))
	}
	if got := fake.Rejected(); len(got) != 0 {
		t.Errorf("the fake refused tokens: %v", got)
	}
	// Each collector signs one token and reuses it (15 min lifetime): the
	// first collector's served its two polls, the restarted one signed
	// its own.
	if n := fake.ConnectTokens(); n != 2 {
		t.Errorf("%d tokens signed, want 2 (one per collector, cached)", n)
	}
	// Past its lifetime a new one is signed.
	clk.Advance(20 * time.Minute)
	poll(a, state(t, st, "kilat-appstore").Cursor)
	if n := fake.ConnectTokens(); n != 3 {
		t.Errorf("%d tokens after expiry, want 3", n)
	}
}

func TestAppStoreRefresh(t *testing.T) {
	clk := newTestClock()
	fake := fakesource.AppStoreDemo(clk.Now)
	srv := serveAPIFake(t, fake)
	f := newTestFetcher(clk)
	cfg := withConnect(t, appStoreSource(srv.URL, fakesource.DemoAppStoreCountries...), fake)
	clk.Advance(30 * time.Second)
	// A review stored long ago (not in any cursor index) is refreshed.
	review := store.Mention{Kind: KindAppStore, NativeID: "11000000003", Author: store.Author{Handle: "dewi.k"}, Title: "Gak bisa lacak paket",
		Lang: "id", CreatedAt: clk.Now().Add(-time.Minute)}
	b, err := newTestAppStore(t, cfg, f).Refresh(context.Background(), []store.Mention{review})
	if err != nil {
		t.Fatal(err)
	}
	if b.Cursor != nil {
		t.Error("a refresh must not move the cursor")
	}
	if len(b.Samples) != 1 || b.Samples[0].Key != "appstore:11000000003" || *b.Samples[0].Likes != 7 {
		t.Errorf("samples = %+v", b.Samples)
	}
	if len(b.Mentions) != 1 || b.Mentions[0].ReplyTo != "appstore:11000000003" || !b.Mentions[0].ByBrand {
		t.Errorf("mentions = %+v", b.Mentions)
	}
}

func TestAppStoreFailuresKeepTheRest(t *testing.T) {
	badEntry := fixture(t, "appstore/bad-entries.xml")
	tests := map[string]struct {
		setup   func(fake *fakesource.AppStoreServer)
		maxBody int64
		// wantErr appears in the error; partial means the id storefront's
		// reviews still come back.
		wantErr    string
		also       []string // more problems the error must name
		partial    bool
		retryAfter time.Duration
		wantIDs    []string // must be in the batch
	}{
		"429 on one storefront": {
			setup:   func(fake *fakesource.AppStoreServer) { fake.Fail("/us/", http.StatusTooManyRequests, "120", 1) },
			wantErr: "storefront us page 1: GET", partial: true, retryAfter: 2 * time.Minute, wantIDs: []string{"11000000001"},
		},
		"429 everywhere": {
			setup:   func(fake *fakesource.AppStoreServer) { fake.Fail("/", http.StatusTooManyRequests, "60", 5) },
			wantErr: "HTTP 429 Too Many Requests", retryAfter: time.Minute,
		},
		"malformed page": {
			setup: func(fake *fakesource.AppStoreServer) {
				fake.Override("/us/rss/customerreviews/page=1/id=1500000001/sortby=mostrecent/xml", "text/html", []byte("<html><body>Service Unavailable</body></html>"))
			},
			wantErr: "storefront us page 1: malformed feed: not an RSS, Atom or JSON feed", partial: true, wantIDs: []string{"11000000001"},
		},
		"oversized page": {
			maxBody: 64 << 10,
			setup: func(fake *fakesource.AppStoreServer) {
				fake.Override("/us/rss/customerreviews/page=1/id=1500000001/sortby=mostrecent/xml", "text/xml", []byte("<feed>"+strings.Repeat("<entry/>", 20000)+"</feed>"))
			},
			wantErr: "response body is larger than the 64 KiB limit", partial: true, wantIDs: []string{"11000000001"},
		},
		"bad entries": {
			setup: func(fake *fakesource.AppStoreServer) {
				fake.Override("/us/rss/customerreviews/page=1/id=1500000001/sortby=mostrecent/xml", "text/xml", badEntry)
			},
			wantErr: `storefront us page 1 entry 3: review 90000000002: im:rating "seven" is not 1 to 5`, partial: true,
			also:    []string{"entry 4: no im:rating: neither a review nor the app's metadata", `entry 5: review id "javascript:alert(1) /etc/passwd" is not an App Store review id`},
			wantIDs: []string{"11000000001", "90000000001", "90000000004"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			clk := newTestClock()
			fake := fakesource.AppStoreDemo(clk.Now)
			tc.setup(fake)
			srv := serveAPIFake(t, fake)
			f := NewFetcher(FetcherOptions{Rate: 1e9, Now: clk.Now, MaxBodyBytes: tc.maxBody})
			b, err := newTestAppStore(t, appStoreSource(srv.URL, "id", "us"), f).Poll(context.Background(), "")
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want %q", err, tc.wantErr)
			}
			for _, a := range tc.also {
				if !strings.Contains(err.Error(), a) {
					t.Errorf("err = %v, want it to name %q", err, a)
				}
			}
			var pe *PartialPollError
			if errors.As(err, &pe) != tc.partial {
				t.Fatalf("partial = %v, want %v (%v)", !tc.partial, tc.partial, err)
			}
			var se *StatusError
			if tc.retryAfter > 0 && (!errors.As(err, &se) || se.RetryAfter != tc.retryAfter) {
				t.Errorf("retry after = %+v, want %s", se, tc.retryAfter)
			}
			for _, id := range tc.wantIDs {
				mentionByID(t, b.Mentions, id)
			}
			if !tc.partial {
				if len(b.Mentions) != 0 || b.Cursor != nil {
					t.Error("a failed poll returned a batch")
				}
				return
			}
			// The failed storefront keeps its old (empty) cursor, so it is
			// read in full next time; the good one moved on.
			var cur appStoreCursor
			if err := json.Unmarshal([]byte(*b.Cursor), &cur); err != nil {
				t.Fatal(err)
			}
			if cur.Countries["id"].Newest.IsZero() {
				t.Error("the good storefront's high-water mark did not move")
			}
			if name != "bad entries" && !cur.Countries["us"].Newest.IsZero() {
				t.Error("the failed storefront's high-water mark moved")
			}
			if name == "bad entries" {
				// Markup is text: tags gone, script bodies dropped.
				if m := mentionByID(t, b.Mentions, "90000000004"); m.Title != "Crash" || m.Text != "Crashes on open" {
					t.Errorf("hostile review = %q / %q", m.Title, m.Text)
				}
			}
		})
	}
}

// TestAppStoreNoSecretsInErrors runs Connect failures and looks for the key
// and the signed token in the errors.
func TestAppStoreNoSecretsInErrors(t *testing.T) {
	clk := newTestClock()
	fake := fakesource.AppStoreDemo(clk.Now)
	var sawToken string
	srv := serveAPIFake(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/v1/") {
			// A careless server echoes the credentials it was sent.
			sawToken = strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
			http.Error(w, "bad token "+r.Header.Get("Authorization"), http.StatusForbidden)
			return
		}
		fake.ServeHTTP(w, r)
	}))
	cfg := withConnect(t, appStoreSource(srv.URL, "id"), fake)
	key, _ := os.ReadFile(cfg.AppStore.PrivateKeyFile)
	_, err := newTestAppStore(t, cfg, newTestFetcher(clk)).Poll(context.Background(), "")
	if err == nil || sawToken == "" {
		t.Fatalf("err = %v, token sent: %v", err, sawToken != "")
	}
	keyBody := strings.Split(string(key), "\n")[1]
	for what, sec := range map[string]string{"token": sawToken, "token signature": sawToken[strings.LastIndex(sawToken, ".")+1:], "key": keyBody} {
		if strings.Contains(err.Error(), sec) {
			t.Errorf("error leaks the %s: %s", what, err)
		}
	}
	if !strings.Contains(err.Error(), "HTTP 403") {
		t.Errorf("error does not say what failed: %v", err)
	}
}

func TestAppStoreDemo(t *testing.T) {
	clk := newTestClock()
	fake := fakesource.AppStoreDemo(clk.Now)
	srv := serveAPIFake(t, fake)
	st := openStore(t, clk)
	cfg := withConnect(t, appStoreSource(srv.URL, fakesource.DemoAppStoreCountries...), fake)
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
	for id, answered := range map[string]bool{"11000000001": false, "11000000002": false, "11000000003": true, "11000000004": false, "11000000005": false} {
		m, ok, err := st.Mention("appstore:" + id)
		if !ok || err != nil {
			t.Fatalf("%s: %v %v", id, ok, err)
		}
		if (m.AnsweredAt != nil) != answered {
			t.Errorf("%s answered = %v, want %v", id, m.AnsweredAt != nil, answered)
		}
	}
	if got := state(t, st, cfg.Name); got.ConsecutiveErrors != 0 || got.ItemsSeen != 6 {
		t.Errorf("state = %+v", got)
	}
}
