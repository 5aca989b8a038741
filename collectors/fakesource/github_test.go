package fakesource

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestGitHubServer(t *testing.T) {
	clk := newPlatformClock()
	srv := GitHubDemo(clk.Now)
	srv.Token, srv.SearchLimit = "ghp_t", 3
	ts := httptest.NewServer(srv)
	defer ts.Close()
	clk.Advance(30 * time.Second)
	auth := http.Header{"Authorization": {"Bearer ghp_t"}}

	type result struct {
		TotalCount int              `json:"total_count"`
		Items      []map[string]any `json:"items"`
	}
	var r result
	q := url.Values{"q": {`("Kilat Express" OR kilatexpress) in:title,body is:issue updated:>=2026-11-01T00:00:00Z`}, "sort": {"updated"}, "per_page": {"100"}}
	resp := fetchJSON(t, "GET", ts.URL+"/search/issues?"+q.Encode(), auth, "", &r)
	if r.TotalCount != 3 || resp.Header.Get("X-Ratelimit-Remaining") != "2" || resp.Header.Get("X-Ratelimit-Resource") != "search" {
		t.Fatalf("search = %+v, headers %v", r, resp.Header)
	}
	top := r.Items[0] // updated most recently: the maintainer's comment at 10s
	if top["html_url"] != "https://github.com/kilatexpress/kilat-sdk-go/issues/42" || top["comments"] != float64(3) || top["author_association"] != "NONE" {
		t.Errorf("top = %+v", top)
	}
	// Four, and two a minute since two hours before the start.
	if reactions := top["reactions"].(map[string]any); reactions["total_count"] != float64(4+241) {
		t.Errorf("reactions = %v", reactions)
	}
	q.Set("q", "Kilat Express is:pr")
	fetchJSON(t, "GET", ts.URL+"/search/issues?"+q.Encode(), auth, "", &r)
	if r.TotalCount != 1 || r.Items[0]["pull_request"] == nil {
		t.Errorf("PRs = %+v", r)
	}
	q.Set("q", "Kilat Express")
	if resp := fetchJSON(t, "GET", ts.URL+"/search/issues?"+q.Encode(), auth, "", nil); resp.StatusCode != 422 {
		t.Errorf("no is: qualifier: %d", resp.StatusCode)
	}
	// The budget is spent: 403 with remaining 0 and the reset epoch.
	resp = fetchJSON(t, "GET", ts.URL+"/search/issues?"+q.Encode(), auth, "", nil)
	if resp.StatusCode != 403 || resp.Header.Get("X-Ratelimit-Remaining") != "0" || resp.Header.Get("X-Ratelimit-Reset") == "" {
		t.Errorf("over budget: %d %v", resp.StatusCode, resp.Header)
	}

	// Comments: Link paging, ETags, free 304s when authorised.
	var comments []map[string]any
	resp = fetchJSON(t, "GET", ts.URL+"/repos/kilatexpress/kilat-sdk-go/issues/42/comments?per_page=2", auth, "", &comments)
	if len(comments) != 2 || !strings.Contains(resp.Header.Get("Link"), `page=2`) || resp.Header.Get("ETag") == "" {
		t.Fatalf("comments = %+v, headers %v", comments, resp.Header)
	}
	if comments[0]["user"].(map[string]any)["type"] != "Bot" || !strings.HasSuffix(comments[0]["html_url"].(string), "#issuecomment-5001") {
		t.Errorf("first comment = %+v", comments[0])
	}
	etag := resp.Header.Get("ETag")
	remaining := resp.Header.Get("X-Ratelimit-Remaining")
	resp = fetchJSON(t, "GET", ts.URL+"/repos/kilatexpress/kilat-sdk-go/issues/42/comments?per_page=2", http.Header{"Authorization": auth["Authorization"], "If-None-Match": {etag}}, "", nil)
	if resp.StatusCode != 304 || resp.Header.Get("X-Ratelimit-Remaining") != remaining {
		t.Errorf("conditional: %d, remaining %s -> %s", resp.StatusCode, remaining, resp.Header.Get("X-Ratelimit-Remaining"))
	}
	if resp := fetchJSON(t, "GET", ts.URL+"/repos/a/b/issues/1", auth, "", nil); resp.StatusCode != 404 {
		t.Errorf("missing issue: %d", resp.StatusCode)
	}
	if resp := fetchJSON(t, "GET", ts.URL+"/repos/kilatexpress/kilat-sdk-go/issues/42", http.Header{"Authorization": {"Bearer nope"}}, "", nil); resp.StatusCode != 401 {
		t.Errorf("bad token: %d", resp.StatusCode)
	}
}
