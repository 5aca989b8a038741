package fakesource

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// platformClock is the injected clock of the platform fakes' tests.
type platformClock struct {
	mu sync.Mutex
	t  time.Time
}

func newPlatformClock() *platformClock {
	return &platformClock{t: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}
}

func (c *platformClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *platformClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// fetchJSON GETs (or POSTs) a fake and decodes the body into v, if any.
func fetchJSON(t *testing.T, method, u string, header http.Header, body string, v any) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if v != nil && resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatalf("%s %s: %v in %s", method, u, err, b)
		}
	}
	return resp
}

type jsonListing struct {
	Kind string `json:"kind"`
	Data struct {
		After    *string `json:"after"`
		Children []struct {
			Kind string         `json:"kind"`
			Data map[string]any `json:"data"`
		} `json:"children"`
	} `json:"data"`
}

const fakeUA = "linux:com.kilat.pantau:v0.1.0 (by /u/kilat_ops)"

func TestRedditServer(t *testing.T) {
	clk := newPlatformClock()
	srv := RedditDemo(clk.Now)
	ts := httptest.NewServer(srv)
	defer ts.Close()
	ua := http.Header{"User-Agent": {fakeUA}}
	clk.Advance(time.Minute)

	var l jsonListing
	q := url.Values{"q": {`"Kilat Express" OR kilatexpress`}, "sort": {"new"}, "limit": {"2"}, "t": {"day"}}
	fetchJSON(t, "GET", ts.URL+"/search.json?"+q.Encode(), ua, "", &l)
	if l.Kind != "Listing" || len(l.Data.Children) != 2 || l.Data.After == nil || *l.Data.After != "t3_1kx01e" {
		t.Fatalf("page 1 = %+v", l)
	}
	first := l.Data.Children[0]
	if first.Kind != "t3" || first.Data["name"] != "t3_1kx01c" || first.Data["permalink"] == "" {
		t.Errorf("newest = %+v", first)
	}
	if _, ok := first.Data["created_utc"].(float64); !ok {
		t.Errorf("created_utc is %T", first.Data["created_utc"])
	}
	if del := l.Data.Children[1].Data; del["author"] != "[deleted]" || del["selftext"] != "[deleted]" {
		t.Errorf("deleted post = %+v", del)
	}
	q.Set("after", *l.Data.After)
	q.Set("limit", "100")
	fetchJSON(t, "GET", ts.URL+"/search.json?"+q.Encode(), ua, "", &l)
	if len(l.Data.Children) != 3 || l.Data.After != nil {
		t.Errorf("page 2 = %+v", l)
	}

	// The thread: [post listing, comment listing], replies nested or "".
	var thread []jsonListing
	fetchJSON(t, "GET", ts.URL+"/comments/1kx01a.json", ua, "", &thread)
	if len(thread) != 2 || thread[0].Data.Children[0].Data["name"] != "t3_1kx01a" {
		t.Fatalf("thread = %+v", thread)
	}
	top := thread[1].Data.Children
	if len(top) != 2 || top[0].Kind != "t1" || top[1].Kind != "more" {
		t.Fatalf("top-level = %+v", top)
	}
	replies, _ := top[0].Data["replies"].(map[string]any)
	kids := replies["data"].(map[string]any)["children"].([]any)
	brand := kids[0].(map[string]any)["data"].(map[string]any)
	if brand["author"] != RedditDemoBrandAccount || brand["parent_id"] != "t1_c01a" || brand["replies"] != "" {
		t.Errorf("brand reply = %+v", brand)
	}

	// Scores grow with the clock; by_id returns the posts asked for.
	score := func() float64 {
		var l jsonListing
		fetchJSON(t, "GET", ts.URL+"/by_id/t3_1kx01a,t3_nope.json", ua, "", &l)
		if len(l.Data.Children) != 1 {
			t.Fatalf("by_id = %+v", l)
		}
		return l.Data.Children[0].Data["score"].(float64)
	}
	s1 := score()
	clk.Advance(10 * time.Minute)
	if s2 := score(); s2 != s1+30 {
		t.Errorf("score %v -> %v, want +30 in 10 minutes", s1, s2)
	}
	fetchJSON(t, "GET", ts.URL+"/user/"+RedditDemoBrandAccount+"/comments.json", ua, "", &l)
	if len(l.Data.Children) != 1 || l.Data.Children[0].Data["link_id"] != "t3_1kx01a" {
		t.Errorf("brand history = %+v", l)
	}

	// Default agents are refused, as Reddit all but does.
	if r := fetchJSON(t, "GET", ts.URL+"/search.json?q=x", nil, "", nil); r.StatusCode != 429 {
		t.Errorf("no User-Agent: %d", r.StatusCode)
	}
	// 429s on demand, logged with their status.
	srv.FailNext(1, "/search.json", 429, "30")
	if r := fetchJSON(t, "GET", ts.URL+"/search.json?q=x", ua, "", nil); r.StatusCode != 429 || r.Header.Get("Retry-After") != "30" {
		t.Errorf("injected: %d %v", r.StatusCode, r.Header)
	}
	if log := srv.RequestsTo("/search.json"); log[len(log)-1].Status != 429 || log[0].Status != 200 {
		t.Errorf("log = %+v", log)
	}
}

func TestRedditServerOAuthAndLimits(t *testing.T) {
	clk := newPlatformClock()
	srv := NewRedditServer(clk.Now, RedditPost{ID: "a1", Subreddit: "x", Author: "u", Title: "Kilat Express"})
	srv.ClientID, srv.ClientSecret, srv.RequireOAuth, srv.TokenTTL, srv.Limit = "app", "sec", true, time.Minute, 2
	ts := httptest.NewServer(srv)
	defer ts.Close()
	ua := http.Header{"User-Agent": {fakeUA}}
	if r := fetchJSON(t, "GET", ts.URL+"/search.json?q=kilat", ua, "", nil); r.StatusCode != 401 {
		t.Errorf("anonymous with RequireOAuth: %d", r.StatusCode)
	}
	bad := http.Header{"User-Agent": {fakeUA}, "Authorization": {"Basic " + "YXBwOndyb25n"}, "Content-Type": {"application/x-www-form-urlencoded"}}
	if r := fetchJSON(t, "POST", ts.URL+"/api/v1/access_token", bad, "grant_type=client_credentials", nil); r.StatusCode != 401 {
		t.Errorf("wrong secret: %d", r.StatusCode)
	}
	req, _ := http.NewRequest("POST", ts.URL+"/api/v1/access_token", strings.NewReader("grant_type=client_credentials"))
	req.SetBasicAuth("app", "sec")
	var tok struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
		ExpiresIn   int    `json:"expires_in"`
	}
	fetchJSON(t, "POST", ts.URL+"/api/v1/access_token", http.Header{"User-Agent": {fakeUA}, "Authorization": {req.Header.Get("Authorization")}, "Content-Type": {"application/x-www-form-urlencoded"}}, "grant_type=client_credentials", &tok)
	if tok.AccessToken == "" || tok.TokenType != "bearer" || tok.ExpiresIn != 60 {
		t.Fatalf("token = %+v", tok)
	}
	auth := http.Header{"User-Agent": {fakeUA}, "Authorization": {"bearer " + tok.AccessToken}}
	r := fetchJSON(t, "GET", ts.URL+"/search.json?q=kilat", auth, "", nil)
	if r.StatusCode != 200 || r.Header.Get("X-Ratelimit-Remaining") != "1.0" || r.Header.Get("X-Ratelimit-Reset") != "60" {
		t.Errorf("first: %d %v", r.StatusCode, r.Header)
	}
	fetchJSON(t, "GET", ts.URL+"/search.json?q=kilat", auth, "", nil)
	if r := fetchJSON(t, "GET", ts.URL+"/search.json?q=kilat", auth, "", nil); r.StatusCode != 429 {
		t.Errorf("over the limit: %d", r.StatusCode)
	}
	clk.Advance(time.Minute)
	if r := fetchJSON(t, "GET", ts.URL+"/search.json?q=kilat", auth, "", nil); r.StatusCode != 401 {
		t.Errorf("expired token: %d", r.StatusCode)
	}
}
