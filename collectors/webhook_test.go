package collectors

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pantau/pantau/store"
	"github.com/pantau/pantau/store/secret"
)

const hookSecret = "hook-Secret-0123456789abcdef-XYZ"

// hookBrand has an account on the "x" platform, to recognise its replies.
var hookBrand = Brand{Name: "acme", Terms: []string{"acme"}, Accounts: map[string][]string{"x": {"@AcmeCare"}}}

func hookSource(mutate func(*WebhookConfig)) SourceConfig {
	wc := &WebhookConfig{Secret: secret.New(hookSecret)}
	if mutate != nil {
		mutate(wc)
	}
	return SourceConfig{Name: "crm", Kind: KindWebhook, Brand: "acme", Webhook: wc}
}

func newTestWebhook(t *testing.T, clk *testClock, mutate func(*WebhookConfig)) *Webhook {
	t.Helper()
	w, err := NewWebhook(hookSource(mutate), hookBrand, newTestFetcher(clk))
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// sign returns the headers of a request signed with key at ts.
func sign(key string, ts time.Time, body string) map[string]string {
	tss := strconv.FormatInt(ts.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(key))
	mac.Write([]byte(tss + "." + body))
	return map[string]string{
		WebhookTimestampHeader: tss,
		WebhookSignatureHeader: "sha256=" + hex.EncodeToString(mac.Sum(nil)),
	}
}

func bearer(tok string) map[string]string { return map[string]string{"Authorization": "Bearer " + tok} }

// post sends body to h from a loopback client address.
func post(t *testing.T, h http.Handler, method, body string, header map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(method, "/hooks/crm", strings.NewReader(body))
	r.RemoteAddr = "127.0.0.1:50000"
	r.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

type hookReport struct {
	Error      string `json:"error"`
	Accepted   int    `json:"accepted"`
	New        int    `json:"new"`
	Duplicates int    `json:"duplicates"`
	Rejected   []struct {
		Index int    `json:"index"`
		ID    string `json:"id"`
		Error string `json:"error"`
	} `json:"rejected"`
}

func report(t *testing.T, w *httptest.ResponseRecorder) hookReport {
	t.Helper()
	var r hookReport
	if err := json.Unmarshal(w.Body.Bytes(), &r); err != nil {
		t.Fatalf("response %q: %v", w.Body, err)
	}
	return r
}

const oneMention = `{"id":"1001","platform":"x","text":"acme refund kapan min??","author":{"handle":"budi"}}`

func TestWebhookAuth(t *testing.T) {
	clk := newTestClock()
	now := clk.Now()
	tests := map[string]struct {
		header func(body string) map[string]string
		status int
	}{
		"bearer":                  {func(string) map[string]string { return bearer(hookSecret) }, 200},
		"bearer, any case":        {func(string) map[string]string { return map[string]string{"Authorization": "bearer " + hookSecret} }, 200},
		"hmac":                    {func(b string) map[string]string { return sign(hookSecret, now, b) }, 200},
		"hmac, 4 minutes old":     {func(b string) map[string]string { return sign(hookSecret, now.Add(-4*time.Minute), b) }, 200},
		"wrong bearer":            {func(string) map[string]string { return bearer(hookSecret + "x") }, 401},
		"secret as basic auth":    {func(string) map[string]string { return map[string]string{"Authorization": "Basic " + hookSecret} }, 401},
		"no credentials":          {func(string) map[string]string { return nil }, 401},
		"bad signature":           {func(b string) map[string]string { return sign("another-secret-0123456789", now, b) }, 401},
		"signature of other body": {func(b string) map[string]string { return sign(hookSecret, now, b+" ") }, 401},
		"replayed old timestamp":  {func(b string) map[string]string { return sign(hookSecret, now.Add(-6*time.Minute), b) }, 401},
		"timestamp in the future": {func(b string) map[string]string { return sign(hookSecret, now.Add(6*time.Minute), b) }, 401},
		"signature, no timestamp": {func(b string) map[string]string {
			h := sign(hookSecret, now, b)
			delete(h, WebhookTimestampHeader)
			return h
		}, 401},
		"timestamp not a number": {func(b string) map[string]string {
			h := sign(hookSecret, now, b)
			h[WebhookTimestampHeader] = now.Format(time.RFC3339)
			return h
		}, 401},
		"signature not sha256=hex": {func(b string) map[string]string {
			h := sign(hookSecret, now, b)
			h[WebhookSignatureHeader] = strings.TrimPrefix(h[WebhookSignatureHeader], "sha256=")
			return h
		}, 401},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			st := openStore(t, clk)
			logger, logs := testLogger()
			h := newTestWebhook(t, clk, nil).Handler(storeSink{st}, logger)
			w := post(t, h, "POST", oneMention, tc.header(oneMention))
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tc.status, w.Body)
			}
			_, stored, _ := st.Mention("webhook:x:1001")
			if stored != (tc.status == 200) {
				t.Fatalf("stored = %v with status %d", stored, w.Code)
			}
			if tc.status == 401 {
				// The same answer whatever went wrong: nothing to learn.
				if got := strings.TrimSpace(w.Body.String()); got != `{"error":"unauthorized"}` {
					t.Fatalf("401 body %q", got)
				}
				if w.Header().Get("WWW-Authenticate") == "" {
					t.Fatal("no WWW-Authenticate")
				}
				if !strings.Contains(logs.String(), "unauthorized") {
					t.Fatalf("refusal not logged:\n%s", logs)
				}
			}
			if strings.Contains(logs.String(), hookSecret) || strings.Contains(w.Body.String(), hookSecret) {
				t.Fatalf("secret leaked:\n%s\n%s", logs, w.Body)
			}
		})
	}
}

func TestWebhookBody(t *testing.T) {
	tests := map[string]struct {
		body     string
		status   int
		wantErr  string // substring of the error or of the first rejection
		accepted int
	}{
		"one object":                         {body: oneMention, status: 200, accepted: 1},
		"a batch":                            {body: `{"mentions":[` + oneMention + `,{"id":"1002","text":"acme ok"}]}`, status: 200, accepted: 2},
		"unknown field":                      {body: `{"id":"1","text":"acme","colour":"red"}`, status: 400, wantErr: `mention: unknown field "colour"`},
		"nested unknown":                     {body: `{"id":"1","text":"acme","author":{"handle":"a","karma":5}}`, status: 400, wantErr: `unknown field "karma"`},
		"unknown top-level field of a batch": {body: `{"mentions":[` + oneMention + `],"source":"x"}`, status: 400, wantErr: `body: unknown field "source"`},
		"wrong type":                         {body: `{"id":"1","text":"acme","author":{"followers":"many"}}`, status: 400, wantErr: "author.followers: want a whole number, got string"},
		"id as a number":                     {body: `{"id":1,"text":"acme"}`, status: 400, wantErr: "id: want a string, got number"},
		"no id":                              {body: `{"text":"acme"}`, status: 400, wantErr: "mention: id: required"},
		"no text":                            {body: `{"id":"1","text":"  \u200e "}`, status: 400, wantErr: "mention: text: required"},
		"bad created_at":                     {body: `{"id":"1","text":"acme","created_at":"yesterday"}`, status: 400, wantErr: "created_at: want an RFC 3339 time"},
		"created_at ahead":                   {body: `{"id":"1","text":"acme","created_at":"2024-06-04T14:00:00Z"}`, status: 400, wantErr: "created_at: more than 1h0m0s in the future"},
		"javascript url":                     {body: `{"id":"1","text":"acme","url":"javascript:alert(1)"}`, status: 400, wantErr: "url: must be an absolute http or https URL"},
		"rating 6":                           {body: `{"id":"1","text":"acme","rating":6}`, status: 400, wantErr: "rating: must be 1 to 5"},
		"negative likes":                     {body: `{"id":"1","text":"acme","engagement":{"likes":-1}}`, status: 400, wantErr: "engagement.likes: must not be negative"},
		"bad platform label":                 {body: `{"id":"1","text":"acme","platform":"Twitter X"}`, status: 400, wantErr: "platform: must be"},
		"bad lang":                           {body: `{"id":"1","text":"acme","lang":"indonesian please"}`, status: 400, wantErr: "lang: must be a language tag"},
		"control chars in id":                {body: `{"id":"1\u0000","text":"acme"}`, status: 400, wantErr: "id: contains control characters"},
		"not JSON":                           {body: `id=1&text=acme`, status: 400, wantErr: "body: want a JSON object"},
		"an array":                           {body: `[` + oneMention + `]`, status: 400, wantErr: "body: want a JSON object"},
		"broken JSON":                        {body: `{"id":"1","text":`, status: 400, wantErr: "body:"},
		"two objects":                        {body: oneMention + oneMention, status: 400, wantErr: "more than one JSON value"},
		"empty batch":                        {body: `{"mentions":[]}`, status: 400, wantErr: "mentions: empty"},
		"mentions not array":                 {body: `{"mentions":{"id":"1"}}`, status: 400, wantErr: "mentions: want an array"},
		"partial batch": {body: `{"mentions":[` + oneMention + `,{"id":"bad-1","text":"acme","colour":1},{"id":"1003","text":"acme bagus"},{"text":"no id"}]}`,
			status: 207, accepted: 2, wantErr: `mentions[1]: unknown field "colour"`},
		"all bad": {body: `{"mentions":[{"id":"a"},{"text":"b"}]}`, status: 400, wantErr: "no valid mentions"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			clk := newTestClock()
			st := openStore(t, clk)
			h := newTestWebhook(t, clk, nil).Handler(storeSink{st}, nil)
			w := post(t, h, "POST", tc.body, bearer(hookSecret))
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tc.status, w.Body)
			}
			rep := report(t, w)
			if tc.wantErr != "" {
				msg := rep.Error
				if len(rep.Rejected) > 0 && !strings.Contains(msg, tc.wantErr) {
					msg = rep.Rejected[0].Error
				}
				if !strings.Contains(msg, tc.wantErr) {
					t.Fatalf("error %q, want %q (body %s)", msg, tc.wantErr, w.Body)
				}
			}
			if rep.Accepted != tc.accepted {
				t.Fatalf("accepted %d, want %d", rep.Accepted, tc.accepted)
			}
			got, err := st.Mentions(store.MentionQuery{})
			if err != nil || len(got) != tc.accepted {
				t.Fatalf("%d mentions stored, want %d (%v)", len(got), tc.accepted, err)
			}
		})
	}
}

// The good items of a partly bad batch are stored, and the report says
// which items were refused and why.
func TestWebhookPartialBatchReport(t *testing.T) {
	clk := newTestClock()
	st := openStore(t, clk)
	h := newTestWebhook(t, clk, nil).Handler(storeSink{st}, nil)
	body := `{"mentions":[` + oneMention + `,{"id":"bad-1","text":"acme","colour":1},{"id":"1003","platform":"x","text":"acme bagus"},{"text":"no id"}]}`
	w := post(t, h, "POST", body, bearer(hookSecret))
	if w.Code != http.StatusMultiStatus {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	rep := report(t, w)
	if rep.Accepted != 2 || rep.New != 2 || len(rep.Rejected) != 2 ||
		rep.Rejected[0].Index != 1 || rep.Rejected[0].ID != "bad-1" ||
		rep.Rejected[1].Index != 3 || rep.Rejected[1].Error != "mentions[3]: id: required" {
		t.Fatalf("report %+v", rep)
	}
	for _, key := range []string{"webhook:x:1001", "webhook:x:1003"} {
		if _, ok, err := st.Mention(key); !ok || err != nil {
			t.Fatalf("%s not stored: %v", key, err)
		}
	}
	if _, ok, _ := st.Mention("webhook:bad-1"); ok {
		t.Fatal("a refused item was stored")
	}
}

func TestWebhookStoresWhatItIsSent(t *testing.T) {
	clk := newTestClock()
	st := openStore(t, clk)
	h := newTestWebhook(t, clk, nil).Handler(storeSink{st}, nil)
	body := `{"mentions":[
	  {"id":"1790","platform":"x","url":"https://x.example/budi/status/1790",
	   "author":{"handle":"budi","display_name":"Budi\u202e S","profile_url":"https://x.example/budi","followers":48000},
	   "title":"","text":"kecewa bgt min,\n refund  belum masuk","lang":"id","created_at":"2024-06-04T11:50:00+07:00",
	   "rating":2,"engagement":{"likes":12,"reposts":3,"replies":1,"views":900}},
	  {"id":"1791","platform":"x","author":{"handle":"@AcmeCare"},"text":"Halo kak, mohon DM nomor pesanannya ya","reply_to":"1790","created_at":"2024-06-04T11:55:00Z"}
	]}`
	w := post(t, h, "POST", body, bearer(hookSecret))
	if w.Code != 200 {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	m, ok, err := st.Mention("webhook:x:1790")
	if !ok || err != nil {
		t.Fatalf("not stored: %v", err)
	}
	wantCreated := time.Date(2024, 6, 4, 4, 50, 0, 0, time.UTC)
	if m.Kind != "webhook" || m.Source != "crm" || m.Brand != "acme" || m.NativeID != "x:1790" ||
		m.URL != "https://x.example/budi/status/1790" || m.Author.Handle != "budi" || m.Author.DisplayName != "Budi S" ||
		m.Author.Followers == nil || *m.Author.Followers != 48000 || m.Text != "kecewa bgt min, refund belum masuk" ||
		m.Lang != "id" || !m.CreatedAt.Equal(wantCreated) || m.Rating == nil || *m.Rating != 2 || m.ByBrand {
		t.Fatalf("stored %+v", m)
	}
	// The brand's reply, recognised by its handle, answers the complaint.
	if m.AnsweredAt == nil || m.AnsweredBy != "@AcmeCare" {
		t.Fatalf("complaint not marked answered: %+v", m)
	}
	reply, _, _ := st.Mention("webhook:x:1791")
	if !reply.ByBrand || reply.ReplyTo != "webhook:x:1790" {
		t.Fatalf("reply %+v", reply)
	}
	samples, err := st.Samples("webhook:x:1790")
	if err != nil || len(samples) != 1 || *samples[0].Likes != 12 || *samples[0].Views != 900 || samples[0].Quotes != nil || *samples[0].Followers != 48000 {
		t.Fatalf("samples %+v %v", samples, err)
	}
	if got := state(t, st, "crm"); got.Kind != KindWebhook || got.ItemsSeen != 2 || !strings.Contains(got.Coverage, "pushed by another tool") {
		t.Fatalf("state %+v", got)
	}

	// Sent again a minute later (a retry): nothing new, one more sample.
	clk.Advance(time.Minute)
	w = post(t, h, "POST", body, bearer(hookSecret))
	if rep := report(t, w); w.Code != 200 || rep.New != 0 || rep.Duplicates != 2 || rep.Accepted != 2 {
		t.Fatalf("resend: %d %+v", w.Code, rep)
	}
	if samples, _ := st.Samples("webhook:x:1790"); len(samples) != 2 {
		t.Fatalf("resend samples: %d", len(samples))
	}
}

func TestWebhookConfigOptions(t *testing.T) {
	clk := newTestClock()
	st := openStore(t, clk)
	w := newTestWebhook(t, clk, func(c *WebhookConfig) {
		c.MentionKind = "helpdesk"
		c.Platforms = []string{"x", "instagram"}
		c.MaxBodyBytes = 300
	})
	h := w.Handler(storeSink{st}, nil)
	tests := map[string]struct {
		body   string
		status int
		key    string
		want   string
	}{
		"own kind":            {body: oneMention, status: 200, key: "helpdesk:x:1001"},
		"platform not listed": {body: `{"id":"1","platform":"tiktok","text":"acme"}`, status: 400, want: "platform: must be one of instagram, x"},
		"platform missing":    {body: `{"id":"1","text":"acme"}`, status: 400, want: "platform: must be one of"},
		"too big":             {body: `{"id":"1","platform":"x","text":"` + strings.Repeat("a", 400) + `"}`, status: 413, want: "body larger than 300 bytes"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			w := post(t, h, "POST", tc.body, bearer(hookSecret))
			if w.Code != tc.status || !strings.Contains(w.Body.String(), tc.want) {
				t.Fatalf("status %d body %s, want %d %q", w.Code, w.Body, tc.status, tc.want)
			}
			if tc.key != "" {
				if _, ok, _ := st.Mention(tc.key); !ok {
					t.Fatalf("%s not stored", tc.key)
				}
			}
		})
	}
}

// A body over the cap is refused whether or not it declares its length,
// and a signed one is refused before its signature is checked.
func TestWebhookOversized(t *testing.T) {
	clk := newTestClock()
	st := openStore(t, clk)
	h := newTestWebhook(t, clk, func(c *WebhookConfig) { c.MaxBodyBytes = 1024 }).Handler(storeSink{st}, nil)
	big := `{"id":"1","text":"` + strings.Repeat("kecewa ", 400) + `"}`
	tests := map[string]struct {
		header map[string]string
		chunk  bool
	}{
		"declared length": {bearer(hookSecret), false},
		"chunked":         {bearer(hookSecret), true},
		"signed, chunked": {sign(hookSecret, clk.Now(), big), true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/hooks/crm", strings.NewReader(big))
			if tc.chunk {
				r.ContentLength = -1
				r.Body = io.NopCloser(strings.NewReader(big))
			}
			for k, v := range tc.header {
				r.Header.Set(k, v)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != http.StatusRequestEntityTooLarge {
				t.Fatalf("status %d: %s", w.Code, w.Body)
			}
		})
	}
}

func TestWebhookMethodAndSinkFailure(t *testing.T) {
	clk := newTestClock()
	st := openStore(t, clk)
	wh := newTestWebhook(t, clk, nil)
	h := wh.Handler(storeSink{st}, nil)
	for _, m := range []string{"GET", "PUT", "OPTIONS"} {
		w := post(t, h, m, "", bearer(hookSecret))
		if w.Code != 405 || w.Header().Get("Allow") != "POST" {
			t.Fatalf("%s: status %d allow %q", m, w.Code, w.Header().Get("Allow"))
		}
	}
	logger, logs := testLogger()
	failing := &flakySink{st: st, fail: 1, got: make(chan store.Batch, 1)}
	h = wh.Handler(failing, logger)
	w := post(t, h, "POST", oneMention, bearer(hookSecret))
	if w.Code != 503 || w.Header().Get("Retry-After") == "" || strings.Contains(w.Body.String(), "disk full") {
		t.Fatalf("sink failure: %d %s", w.Code, w.Body)
	}
	if !strings.Contains(logs.String(), "disk full") {
		t.Fatalf("sink failure not logged:\n%s", logs)
	}
	if w := post(t, h, "POST", oneMention, bearer(hookSecret)); w.Code != 200 {
		t.Fatalf("retry: %d %s", w.Code, w.Body)
	}
}

func TestWebhookPollIsANoOp(t *testing.T) {
	clk := newTestClock()
	w := newTestWebhook(t, clk, nil)
	b, err := w.Poll(context.Background(), "whatever")
	if err != nil || len(b.Mentions) != 0 || b.Cursor != nil || b.Source != "crm" || b.Kind != KindWebhook {
		t.Fatalf("Poll = %+v, %v", b, err)
	}
}

func TestWebhookConfigValidate(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "hook.secret")
	if err := os.WriteFile(good, []byte(hookSecret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	short := filepath.Join(dir, "short.secret")
	if err := os.WriteFile(short, []byte("abc\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := map[string]struct {
		cfg  *WebhookConfig
		want []string
	}{
		"no section":        {nil, []string{"sources[4].webhook.secret: required"}},
		"no secret":         {&WebhookConfig{}, []string{"sources[4].webhook.secret: required"}},
		"inline secret":     {&WebhookConfig{Secret: secret.New(hookSecret)}, nil},
		"secret file":       {&WebhookConfig{SecretFile: good}, nil},
		"short secret":      {&WebhookConfig{Secret: secret.New("hunter2")}, []string{"sources[4].webhook.secret: too short: use at least 16 characters"}},
		"short secret file": {&WebhookConfig{SecretFile: short}, []string{"sources[4].webhook.secret_file: too short"}},
		"both":              {&WebhookConfig{Secret: secret.New(hookSecret), SecretFile: good}, []string{"sources[4].webhook.secret_file: set either the value or its _file, not both"}},
		"missing file":      {&WebhookConfig{SecretFile: filepath.Join(dir, "nope")}, []string{"sources[4].webhook.secret_file: read secret file"}},
		"limits and labels": {&WebhookConfig{Secret: secret.New(hookSecret), MaxBodyBytes: -1, MentionKind: "Help Desk", Platforms: []string{"x", "X!", "x"}},
			[]string{"sources[4].webhook.max_body_bytes: must be between 0", `sources[4].webhook.mention_kind: "Help Desk" must be`,
				`sources[4].webhook.platforms[1]: "X!" must be`, `sources[4].webhook.platforms[2]: duplicate platform "x"`}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			errs := tc.cfg.validate("sources[4].webhook")
			if len(errs) != len(tc.want) {
				t.Fatalf("errors %v, want %d", errs, len(tc.want))
			}
			for i, e := range errs {
				if !strings.HasPrefix(e.Error(), tc.want[i]) {
					t.Errorf("error %d = %q, want prefix %q", i, e, tc.want[i])
				}
				if strings.Contains(e.Error(), hookSecret) || strings.Contains(e.Error(), "hunter2") {
					t.Errorf("error shows the secret: %q", e)
				}
			}
		})
	}
	// Through the source's own validation, as the config loader calls it.
	sc := SourceConfig{Name: "crm", Kind: KindWebhook}
	err := sc.Validate("sources[4]", []Brand{hookBrand})
	if err == nil || !strings.Contains(err.Error(), "sources[4].webhook.secret: required") {
		t.Fatalf("Validate = %v", err)
	}
	// And Build makes a *Webhook of a valid one.
	cols, err := Build([]SourceConfig{hookSource(nil)}, []Brand{hookBrand}, newTestFetcher(newTestClock()))
	if err != nil || len(cols) != 1 {
		t.Fatalf("Build = %v, %v", cols, err)
	}
	if _, ok := cols[0].(*Webhook); !ok {
		t.Fatalf("Build made a %T", cols[0])
	}
	// A config printed whole shows no secret.
	for _, v := range []string{fmt.Sprintf("%v %+v %#v", hookSource(nil), *hookSource(nil).Webhook, hookSource(nil).Webhook)} {
		if strings.Contains(v, hookSecret) {
			t.Fatalf("printed config shows the secret: %s", v)
		}
	}
}

// TestWebhooksRouter serves the router on a loopback server as cmd mounts
// it, and swaps the sources as a config reload does.
func TestWebhooksRouter(t *testing.T) {
	clk := newTestClock()
	st := openStore(t, clk)
	logger, logs := testLogger()
	hooks := NewWebhooks(logger)
	mux := http.NewServeMux()
	mux.Handle("/hooks/{source}", hooks)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	send := func(method, source, body string, header map[string]string) (int, string) {
		t.Helper()
		req, err := http.NewRequest(method, srv.URL+"/hooks/"+source, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		for k, v := range header {
			req.Header.Set(k, v)
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if strings.Contains(string(b), hookSecret) {
			t.Fatalf("response shows the secret: %s", b)
		}
		return resp.StatusCode, string(b)
	}

	if code, _ := send("POST", "crm", oneMention, bearer(hookSecret)); code != 404 {
		t.Fatalf("before Set: %d", code)
	}
	hooks.Set([]Collector{newTestWebhook(t, clk, nil), &fakeCollector{name: "other", poll: okPoll}}, storeSink{st})
	tests := map[string]struct {
		method, source string
		header         map[string]string
		status         int
	}{
		"bearer":         {"POST", "crm", bearer(hookSecret), 200},
		"signed":         {"POST", "crm", sign(hookSecret, clk.Now(), oneMention), 200},
		"bad secret":     {"POST", "crm", bearer("guess-guess-guess-guess"), 401},
		"not a webhook":  {"POST", "other", bearer(hookSecret), 404},
		"unknown source": {"POST", "nope", bearer(hookSecret), 404},
		"GET":            {"GET", "crm", bearer(hookSecret), 405},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if code, body := send(tc.method, tc.source, oneMention, tc.header); code != tc.status {
				t.Fatalf("status %d, want %d: %s", code, tc.status, body)
			}
		})
	}
	// A reload without the source takes it away.
	hooks.Set(nil, storeSink{st})
	if code, _ := send("POST", "crm", oneMention, bearer(hookSecret)); code != 404 {
		t.Fatalf("after reload: %d", code)
	}
	if strings.Contains(logs.String(), hookSecret) {
		t.Fatalf("log shows the secret:\n%s", logs)
	}
}

// TestWebhookSecretNeverLeaks sends every kind of request and looks for
// the secret in every answer and every log line.
func TestWebhookSecretNeverLeaks(t *testing.T) {
	clk := newTestClock()
	st := openStore(t, clk)
	logger, logs := testLogger()
	wh := newTestWebhook(t, clk, nil)
	h := wh.Handler(storeSink{st}, logger)
	bodies := []string{oneMention, `{"id":"` + hookSecret + `x","text":"acme","nope":1}`, `{"mentions":[]}`, "not json"}
	headers := []map[string]string{
		bearer(hookSecret), bearer(hookSecret[:10]), bearer(hookSecret + hookSecret),
		sign(hookSecret, clk.Now(), oneMention), sign(hookSecret, clk.Now().Add(-time.Hour), oneMention), nil,
	}
	var all strings.Builder
	for _, b := range bodies {
		for _, hd := range headers {
			w := post(t, h, "POST", b, hd)
			fmt.Fprintf(&all, "%d %v %s\n", w.Code, w.Header(), w.Body)
		}
	}
	// The only way the secret appears is inside an id the client itself
	// sent, echoed in a rejection; take that out and look.
	out := strings.ReplaceAll(all.String(), hookSecret+"x", "<client id>")
	if strings.Contains(out, hookSecret) || strings.Contains(logs.String(), hookSecret) {
		t.Fatalf("secret leaked:\n%s\n%s", out, logs)
	}
	// And the collector itself prints redacted.
	if s := fmt.Sprintf("%v %+v %#v %s", wh, wh, wh, wh); strings.Contains(s, hookSecret) {
		t.Fatalf("Webhook prints its secret: %s", s)
	}
}
