package fakesource

import (
	"fmt"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"
)

func TestHackerNewsServer(t *testing.T) {
	clk := newPlatformClock()
	srv := HackerNewsDemo(clk.Now)
	ts := httptest.NewServer(srv)
	defer ts.Close()
	start := clk.Now()
	clk.Advance(time.Minute)

	type hits struct {
		Hits        []map[string]any `json:"hits"`
		NbHits      int              `json:"nbHits"`
		Page        int              `json:"page"`
		NbPages     int              `json:"nbPages"`
		HitsPerPage int              `json:"hitsPerPage"`
	}
	search := func(q url.Values) hits {
		var h hits
		fetchJSON(t, "GET", ts.URL+"/api/v1/search_by_date?"+q.Encode(), nil, "", &h)
		return h
	}
	h := search(url.Values{"query": {"Kilat Express"}, "tags": {"(story,comment)"}, "hitsPerPage": {"2"},
		"numericFilters": {fmt.Sprintf("created_at_i>%d", start.Add(-24*time.Hour).Unix())}})
	if h.NbHits != 3 || h.NbPages != 2 || h.Page != 0 || len(h.Hits) != 2 {
		t.Fatalf("search = %+v", h)
	}
	c := h.Hits[0]
	if c["objectID"] != "43100021" || c["points"] != nil || c["comment_text"] == nil || c["parent_id"] != float64(43100020) || c["story_id"] != float64(43100020) {
		t.Errorf("newest hit = %+v", c)
	}
	if tags := c["_tags"].([]any); tags[0] != "comment" || tags[1] != "author_andika" {
		t.Errorf("tags = %v", tags)
	}
	// Newer than the story only: the numeric filter.
	h = search(url.Values{"query": {"Kilat Express"}, "numericFilters": {fmt.Sprintf("created_at_i>%d", start.Unix())}})
	if h.NbHits != 1 {
		t.Errorf("numericFilters: %+v", h)
	}
	// Author tags AND'd with a type group: the brand's comment.
	h = search(url.Values{"tags": {"(story,comment),author_" + HackerNewsDemoBrandAccount}})
	if h.NbHits != 1 || h.Hits[0]["parent_id"] != float64(43100002) {
		t.Errorf("brand posts: %+v", h)
	}

	var item map[string]any
	fetchJSON(t, "GET", ts.URL+"/api/v1/items/43100001", nil, "", &item)
	kids := item["children"].([]any)
	if item["type"] != "story" || len(kids) != 2 || item["points"] != float64(12+2*41) {
		t.Fatalf("item = %+v", item)
	}
	grand := kids[0].(map[string]any)["children"].([]any)[0].(map[string]any)
	if grand["author"] != HackerNewsDemoBrandAccount || grand["parent_id"] != float64(43100002) || grand["points"] != nil {
		t.Errorf("brand reply = %+v", grand)
	}
	if r := fetchJSON(t, "GET", ts.URL+"/api/v1/items/1", nil, "", nil); r.StatusCode != 404 {
		t.Errorf("missing item: %d", r.StatusCode)
	}
	if r := fetchJSON(t, "GET", ts.URL+"/api/v1/search_by_date?numericFilters=created_at_i~1", nil, "", nil); r.StatusCode != 400 {
		t.Errorf("bad filter: %d", r.StatusCode)
	}
	srv.FailNext(1, "", 429, "")
	if r := fetchJSON(t, "GET", ts.URL+"/api/v1/items/43100001", nil, "", nil); r.StatusCode != 429 {
		t.Errorf("injected: %d", r.StatusCode)
	}
}
