package fakesource

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"
)

func TestDiscourseServer(t *testing.T) {
	clk := newPlatformClock()
	srv := DiscourseDemo(clk.Now)
	srv.PageSize = 1
	ts := httptest.NewServer(srv)
	defer ts.Close()
	clk.Advance(time.Minute)

	type result struct {
		Posts  []map[string]any `json:"posts"`
		Topics []map[string]any `json:"topics"`
		Group  map[string]any   `json:"grouped_search_result"`
	}
	search := func(q string, page string) result {
		var r result
		fetchJSON(t, "GET", ts.URL+"/search.json?"+url.Values{"q": {q}, "page": {page}}.Encode(), nil, "", &r)
		return r
	}
	r := search(`"Kilat Express" order:latest after:2026-11-01`, "1")
	if len(r.Posts) != 1 || r.Posts[0]["id"] != float64(91010) || r.Group["more_full_page_results"] != true || len(r.Topics) != 1 {
		t.Fatalf("page 1 = %+v", r)
	}
	if r.Posts[0]["blurb"] == "" || r.Posts[0]["post_number"] != float64(1) || r.Topics[0]["slug"] != "kilat-express-api-rate-limits" {
		t.Errorf("post = %+v, topic = %+v", r.Posts[0], r.Topics[0])
	}
	r = search(`"Kilat Express" order:latest after:2026-11-01`, "2")
	if len(r.Posts) != 1 || r.Posts[0]["id"] != float64(91001) || r.Group["more_full_page_results"] != nil {
		t.Errorf("page 2 = %+v", r)
	}
	if r := search(`"Kilat Express" after:2026-11-03`, "1"); len(r.Posts) != 0 {
		t.Errorf("after: a later date = %+v", r.Posts)
	}
	if r := search(`@kilat_support`, "1"); len(r.Posts) != 1 || r.Posts[0]["username"] != DiscourseDemoBrandAccount {
		t.Errorf("@user = %+v", r.Posts)
	}

	var topic struct {
		PostsCount int `json:"posts_count"`
		PostStream struct {
			Posts  []map[string]any `json:"posts"`
			Stream []int64          `json:"stream"`
		} `json:"post_stream"`
	}
	fetchJSON(t, "GET", ts.URL+"/t/7101.json", nil, "", &topic)
	if topic.PostsCount != 3 || len(topic.PostStream.Stream) != 3 || len(topic.PostStream.Posts) != 3 {
		t.Fatalf("topic = %+v", topic)
	}
	brand := topic.PostStream.Posts[2]
	if brand["username"] != DiscourseDemoBrandAccount || brand["primary_group_name"] != DiscourseDemoBrandGroup || brand["reply_to_post_number"] != float64(1) {
		t.Errorf("brand post = %+v", brand)
	}
	likes := topic.PostStream.Posts[0]["actions_summary"].([]any)[0].(map[string]any)
	if likes["id"] != float64(2) || likes["count"] != float64(2+46) {
		t.Errorf("likes = %+v", likes)
	}
	fetchJSON(t, "GET", ts.URL+"/t/7101/posts.json?post_ids[]=91003", nil, "", &topic)
	if len(topic.PostStream.Posts) != 1 || topic.PostStream.Posts[0]["post_number"] != float64(3) {
		t.Errorf("posts.json = %+v", topic.PostStream.Posts)
	}
	var post map[string]any
	fetchJSON(t, "GET", ts.URL+"/posts/91002.json", nil, "", &post)
	if post["topic_id"] != float64(7101) {
		t.Errorf("post = %+v", post)
	}
	if r := fetchJSON(t, "GET", ts.URL+"/t/9.json", nil, "", nil); r.StatusCode != 404 {
		t.Errorf("missing topic: %d", r.StatusCode)
	}

	srv.APIKey, srv.APIUsername = "k", "system"
	if r := fetchJSON(t, "GET", ts.URL+"/t/7101.json", nil, "", nil); r.StatusCode != http.StatusForbidden {
		t.Errorf("private forum without a key: %d", r.StatusCode)
	}
	if r := fetchJSON(t, "GET", ts.URL+"/t/7101.json", http.Header{"Api-Key": {"k"}, "Api-Username": {"system"}}, "", nil); r.StatusCode != 200 {
		t.Errorf("with the key: %d", r.StatusCode)
	}
}
