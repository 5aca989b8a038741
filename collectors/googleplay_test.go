package collectors

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pantau/pantau/collectors/fakesource"
	"github.com/pantau/pantau/store"
	"github.com/pantau/pantau/store/secret"
)

// playKeys caches one generated service-account key per test binary: RSA
// generation is slow, and every fake can register the same key.
var playKeys struct {
	once sync.Once
	key  []byte
	err  error
}

// playSetup starts a Google Play fake and writes a service-account key file
// registered with it.
func playSetup(t *testing.T, fake *fakesource.GooglePlayServer, wrap func(http.Handler) http.Handler) (SourceConfig, string) {
	t.Helper()
	var h http.Handler = fake
	if wrap != nil {
		h = wrap(fake)
	}
	srv := serveAPIFake(t, h)
	playKeys.once.Do(func() {
		tmp := fakesource.NewGooglePlay("x.y", time.Now)
		playKeys.key, playKeys.err = tmp.ServiceAccountKey("http://placeholder/token")
	})
	if playKeys.err != nil {
		t.Fatal(playKeys.err)
	}
	// Register the shared key with this fake and point token_uri at it.
	var kf map[string]string
	if err := json.Unmarshal(playKeys.key, &kf); err != nil {
		t.Fatal(err)
	}
	kf["token_uri"] = srv.URL + "/token"
	sa, err := parseServiceAccountJSON(kf)
	if err != nil {
		t.Fatal(err)
	}
	fake.SetServiceAccount(sa.ClientEmail, &sa.key.PublicKey)
	keyJSON, _ := json.Marshal(kf)
	on := true
	cfg := SourceConfig{Name: "kilat-play", Kind: KindGooglePlay, Brand: "kilat", Enabled: &on, GooglePlay: &GooglePlayConfig{
		PackageName: fakesource.DemoPlayPackage, ServiceAccountKeyFile: writeTestSecret(t, "sa.json", keyJSON), APIBase: srv.URL,
	}}
	return cfg, srv.URL
}

func parseServiceAccountJSON(kf map[string]string) (*googleServiceAccount, error) {
	b, _ := json.Marshal(kf)
	return parseServiceAccount(secret.New(string(b)))
}

func newTestPlay(t *testing.T, cfg SourceConfig, f *Fetcher) *GooglePlay {
	t.Helper()
	if err := cfg.Validate("sources[0]", []Brand{reviewsBrand}); err != nil {
		t.Fatal(err)
	}
	g, err := newGooglePlay(cfg, reviewsBrand, f)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestGooglePlayConfig(t *testing.T) {
	clk := newTestClock()
	cfg, _ := playSetup(t, fakesource.GooglePlayDemo(clk.Now), nil)
	keyFile := cfg.GooglePlay.ServiceAccountKeyFile
	notJSON := writeTestSecret(t, "bad.json", []byte(`{"type": "service_account", "private_key": "-----BEGIN PRIVATE KEY-----\nTOPSECRETKEY\n`))
	wrongType := writeTestSecret(t, "user.json", []byte(`{"type": "authorized_user", "client_secret": "TOPSECRETKEY"}`))
	noKey := writeTestSecret(t, "nokey.json", []byte(`{"type": "service_account", "client_email": "a@b.iam.gserviceaccount.com", "private_key": "TOPSECRETKEY"}`))
	tests := map[string]struct {
		cfg  *GooglePlayConfig
		want []string
	}{
		"valid":       {cfg: &GooglePlayConfig{PackageName: "com.kilatexpress.app", ServiceAccountKeyFile: keyFile}},
		"missing":     {want: []string{"sources[1].googleplay: required"}},
		"bad package": {cfg: &GooglePlayConfig{PackageName: "kilat express", ServiceAccountKeyFile: keyFile}, want: []string{`sources[1].googleplay.package_name: "kilat express" is not an Android package name`}},
		"no key":      {cfg: &GooglePlayConfig{PackageName: "com.kilatexpress.app"}, want: []string{"sources[1].googleplay.service_account_key_file: required"}},
		"not json": {cfg: &GooglePlayConfig{PackageName: "com.a.b", ServiceAccountKeyFile: notJSON},
			want: []string{"sources[1].googleplay.service_account_key_file: not a service-account JSON key: truncated JSON"}},
		"user credentials": {cfg: &GooglePlayConfig{PackageName: "com.a.b", ServiceAccountKeyFile: wrongType},
			want: []string{`sources[1].googleplay.service_account_key_file: not a service-account key (its "type" is "authorized_user"`}},
		"no private key": {cfg: &GooglePlayConfig{PackageName: "com.a.b", ServiceAccountKeyFile: noKey},
			want: []string{`sources[1].googleplay.service_account_key_file: the key's private_key is not a PEM "PRIVATE KEY" block`}},
		"plain http api": {cfg: &GooglePlayConfig{PackageName: "com.a.b", ServiceAccountKeyFile: keyFile, APIBase: "http://androidpublisher.example.com"},
			want: []string{"sources[1].googleplay.api_base: http://androidpublisher.example.com: must be https"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			errs := tc.cfg.validate("sources[1].googleplay")
			if len(errs) != len(tc.want) {
				t.Fatalf("got %v, want %v", errs, tc.want)
			}
			for i, w := range tc.want {
				if !strings.HasPrefix(errs[i].Error(), w) {
					t.Errorf("error %d = %q, want prefix %q", i, errs[i], w)
				}
				if strings.Contains(errs[i].Error(), "TOPSECRETKEY") {
					t.Errorf("error leaks the key: %s", errs[i])
				}
			}
		})
	}

	// Off by default: a source that does not say enabled: true is refused,
	// saying why; enabled: false is simply not built.
	off := false
	for name, enabled := range map[string]*bool{"enabled missing": nil, "enabled false": &off} {
		t.Run(name, func(t *testing.T) {
			c := cfg
			c.Enabled = enabled
			if err := c.googlePlayOptIn("sources[1]"); (err != nil) != (enabled == nil) {
				t.Fatalf("opt-in check = %v", err)
			} else if err != nil && !strings.HasPrefix(err.Error(), "sources[1].enabled: a googleplay source is off by default and needs enabled: true") {
				t.Errorf("opt-in message = %q", err)
			}
			cs, err := Build([]SourceConfig{c}, []Brand{reviewsBrand}, newTestFetcher(clk))
			switch {
			case enabled == nil && (err == nil || !strings.Contains(err.Error(), "off by default and needs enabled: true")):
				t.Errorf("Build = %v, want the opt-in refusal", err)
			case enabled != nil && (err != nil || len(cs) != 0):
				t.Errorf("Build = %v, %v; want nothing built", cs, err)
			}
		})
	}
}

func TestGooglePlayPoll(t *testing.T) {
	clk := newTestClock()
	fake := fakesource.GooglePlayDemo(clk.Now)
	// A review older than the API's week is never served.
	fake.Add(fakesource.PlayReview{ID: "gp:old", Author: "Old", Rating: 1, Lang: "en", Text: "ancient", Modified: clk.Now().Add(-8 * 24 * time.Hour)})
	cfg, _ := playSetup(t, fake, nil)
	st := openStore(t, clk)
	f := newTestFetcher(clk)
	g := newTestPlay(t, cfg, f)
	if !strings.Contains(g.Coverage(), "last 7 days") {
		t.Errorf("coverage = %q", g.Coverage())
	}
	clk.Advance(20 * time.Second)
	b, err := g.Poll(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	if got := mentionIDsSorted(b.Mentions); !slices.Equal(got, []string{"gp:AOqpTOkilat0001", "gp:AOqpTOkilat0002", "gp:AOqpTOkilat0003", "reply:gp:AOqpTOkilat0002"}) {
		t.Fatalf("mentions = %v", got)
	}
	m := mentionByID(t, b.Mentions, "gp:AOqpTOkilat0002")
	if m.Title != "Kurir gak datang" || !strings.HasPrefix(m.Text, "Udah 3x jadwal") || m.Lang != "id" || *m.Rating != 1 || m.Author.Handle != "Mega Putri" ||
		m.URL != "https://play.google.com/store/apps/details?id=com.kilatexpress.app&reviewId=gp%3AAOqpTOkilat0002" {
		t.Errorf("review = %+v", m)
	}
	reply := mentionByID(t, b.Mentions, "reply:gp:AOqpTOkilat0002")
	if !reply.ByBrand || reply.ReplyTo != "googleplay:gp:AOqpTOkilat0002" || reply.Author.Handle != "Kilat Express" || !reply.CreatedAt.Equal(clk.Now().Add(-6*time.Second)) {
		t.Errorf("reply = %+v", reply)
	}
	if len(b.Samples) != 3 {
		t.Errorf("samples = %+v", b.Samples)
	}
	res, err := st.Ingest(b)
	if err != nil || !slices.Equal(res.Answered, []string{"googleplay:gp:AOqpTOkilat0002"}) {
		t.Fatalf("ingest answered %v, %v", res.Answered, err)
	}

	// A restarted collector with the stored cursor: nothing new, thumbs
	// unchanged so no samples; a new token is granted (none is stored).
	b, err = newTestPlay(t, cfg, f).Poll(context.Background(), state(t, st, "kilat-play").Cursor)
	if err != nil {
		t.Fatal(err)
	}
	res, _ = st.Ingest(b)
	if len(res.New) != 0 || len(b.Samples) != 0 {
		t.Errorf("restart: new %v, samples %d", mentionIDsSorted(res.New), len(b.Samples))
	}
	if fake.Grants() != 2 {
		t.Errorf("grants = %d, want 2 (one per collector)", fake.Grants())
	}
	// The same collector polls again: its cached token serves.
	g2 := g
	if _, err := g2.Poll(context.Background(), ""); err != nil || fake.Grants() != 2 {
		t.Errorf("cached token: grants %d, err %v", fake.Grants(), err)
	}
	// The token is revoked: one 401, a fresh grant, success.
	fake.ExpireTokens()
	if _, err := g.Poll(context.Background(), ""); err != nil || fake.Grants() != 3 {
		t.Errorf("after revocation: grants %d, err %v", fake.Grants(), err)
	}
	if r := fake.Rejected(); len(r) != 1 || r[0] != "invalid access token" {
		t.Errorf("rejected = %v", r)
	}
}

func TestGooglePlayPagingAndFailures(t *testing.T) {
	many := func(clk *testClock) []fakesource.PlayReview {
		out := make([]fakesource.PlayReview, 230)
		for i := range out {
			out[i] = fakesource.PlayReview{ID: fmt.Sprintf("gp:r%04d", i), Author: "u", Rating: 1 + i%5, Lang: "en", Text: "review", ThumbsUp: i,
				Modified: clk.Now().Add(-time.Duration(i) * time.Minute)}
		}
		return out
	}
	tests := map[string]struct {
		setup      func(fake *fakesource.GooglePlayServer)
		wrap       func(http.Handler) http.Handler
		wantErr    string
		partial    bool
		wantN      int
		retryAfter time.Duration
	}{
		"three pages": {wantN: 230},
		"429 on the second page": {
			wrap: func(h http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if r.URL.Query().Get("token") == "p100" {
						w.Header().Set("Retry-After", "90")
						http.Error(w, `{"error":{"code":429,"status":"RESOURCE_EXHAUSTED"}}`, http.StatusTooManyRequests)
						return
					}
					h.ServeHTTP(w, r)
				})
			},
			wantErr: "reviews page 2: GET", partial: true, wantN: 100, retryAfter: 90 * time.Second,
		},
		"429 at once": {
			setup: func(fake *fakesource.GooglePlayServer) {
				fake.Fail("/androidpublisher/", http.StatusTooManyRequests, "30", 1)
			},
			wantErr: "HTTP 429", retryAfter: 30 * time.Second,
		},
		"malformed list": {
			setup: func(fake *fakesource.GooglePlayServer) {
				fake.Override("/androidpublisher/v3/applications/com.kilatexpress.app/reviews", "application/json", []byte(`{"reviews": [{"reviewId": `))
			},
			wantErr: "reviews page 1: not a reviews list: truncated JSON",
		},
		"bad reviews": {
			setup: func(fake *fakesource.GooglePlayServer) {
				fake.Override("/androidpublisher/v3/applications/com.kilatexpress.app/reviews", "application/json", fixture(t, "googleplay/bad-reviews.json"))
			},
			wantErr: "reviews page 1 review 2: review gp:AOqpTOstars9: starRating 9 is not 1 to 5", partial: true, wantN: 2,
		},
		"token endpoint echoes the assertion": {
			wrap: func(h http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if r.URL.Path == "/token" {
						body, _ := io.ReadAll(r.Body)
						http.Error(w, `{"error":"invalid_grant","error_description":"bad assertion `+string(body)+`"}`, http.StatusBadRequest)
						return
					}
					h.ServeHTTP(w, r)
				})
			},
			wantErr: "get an access token: POST",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			clk := newTestClock()
			fake := fakesource.NewGooglePlay(fakesource.DemoPlayPackage, clk.Now, many(clk)...)
			if tc.setup != nil {
				tc.setup(fake)
			}
			cfg, _ := playSetup(t, fake, tc.wrap)
			b, err := newTestPlay(t, cfg, newTestFetcher(clk)).Poll(context.Background(), "")
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
			} else if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want %q", err, tc.wantErr)
			}
			var pe *PartialPollError
			if err != nil && errors.As(err, &pe) != tc.partial {
				t.Fatalf("partial = %v: %v", !tc.partial, err)
			}
			var se *StatusError
			if tc.retryAfter > 0 && (!errors.As(err, &se) || se.RetryAfter != tc.retryAfter) {
				t.Errorf("retry after = %+v", se)
			}
			if got := len(b.Mentions); got != tc.wantN {
				t.Errorf("%d mentions, want %d", got, tc.wantN)
			}
			// The assertion is a JWT ("eyJ..."): no part of it may show.
			if err != nil && strings.Contains(err.Error(), "eyJ") {
				t.Errorf("error leaks the signed assertion: %v", err)
			}
			if err != nil {
				t.Logf("error: %v", err)
			}
		})
	}
}

func TestGooglePlayDemo(t *testing.T) {
	clk := newTestClock()
	fake := fakesource.GooglePlayDemo(clk.Now)
	srv := serveAPIFake(t, fake)
	key, err := fake.ServiceAccountKey(srv.URL + "/token")
	if err != nil {
		t.Fatal(err)
	}
	on := true
	cfg := SourceConfig{Name: "kilat-play", Kind: KindGooglePlay, Enabled: &on, GooglePlay: &GooglePlayConfig{
		PackageName: fakesource.DemoPlayPackage, ServiceAccountKeyFile: writeTestSecret(t, "sa.json", key), APIBase: srv.URL,
	}}
	st := openStore(t, clk)
	cs, err := Build([]SourceConfig{cfg}, []Brand{reviewsBrand}, newTestFetcher(clk))
	if err != nil {
		t.Fatal(err)
	}
	s := NewScheduler(st, storeSink{st}, nil, clk.Now)
	if err := s.Add(cs[0], "@every 2s", 0); err != nil {
		t.Fatal(err)
	}
	for _, step := range []time.Duration{0, 8 * time.Second, 30 * time.Second} {
		clk.Advance(step)
		if err := s.PollNow(context.Background(), cfg.Name); err != nil {
			t.Fatal(err)
		}
	}
	for id, answered := range map[string]bool{"gp:AOqpTOkilat0001": false, "gp:AOqpTOkilat0002": true, "gp:AOqpTOkilat0003": false} {
		m, ok, _ := st.Mention(store.MentionKey(KindGooglePlay, id))
		if !ok || (m.AnsweredAt != nil) != answered {
			t.Errorf("%s: stored %v, answered %v, want %v", id, ok, m.AnsweredAt != nil, answered)
		}
	}
	if !bytes.Contains(key, []byte(srv.URL+"/token")) {
		t.Error("key file does not point at the fake's token endpoint")
	}
}
