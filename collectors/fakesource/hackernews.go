package fakesource

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// HNItem is one scripted Hacker News story or comment; a story's
// comments are its Children, nested as on the site.
type HNItem struct {
	ID     int64
	Author string
	Title  string // stories only
	URL    string // stories only
	// Text is HTML, as HN serves it.
	Text string
	// Published is when it was written; zero means when it is released.
	Published time.Time
	// At is when it appears, relative to the server's start.
	At              time.Duration
	Points          int // stories only: Algolia sends null for comments
	PointsPerMinute int
	Children        []HNItem
}

// HackerNewsServer speaks the Algolia HN Search API: search_by_date with
// tags, numericFilters and paging, and items/:id with the whole tree.
// Algolia sends no rate-limit headers; use FailNext for 429s.
type HackerNewsServer struct {
	scriptBase
	stories []HNItem
	handler http.Handler
}

// NewHackerNewsServer returns an Algolia HN fake whose clock starts now.
func NewHackerNewsServer(now func() time.Time, stories ...HNItem) *HackerNewsServer {
	s := &HackerNewsServer{scriptBase: newScriptBase(now), stories: stories}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/search_by_date", s.search)
	mux.HandleFunc("GET /api/v1/items/{id}", s.item)
	s.handler = mux
	return s
}

// Add schedules more stories.
func (s *HackerNewsServer) Add(stories ...HNItem) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stories = append(s.stories, stories...)
}

func (s *HackerNewsServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.serve(w, r, s.handler)
}

// hnFlat is an item with its place in the tree.
type hnFlat struct {
	it     HNItem
	parent int64 // 0 for stories
	story  HNItem
}

// flat lists every released item; children of unreleased items are not
// out either.
func (s *HackerNewsServer) flat() []hnFlat {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []hnFlat
	var walk func(it HNItem, parent int64, story HNItem)
	walk = func(it HNItem, parent int64, story HNItem) {
		if !s.released(it.At) {
			return
		}
		out = append(out, hnFlat{it, parent, story})
		for _, c := range it.Children {
			walk(c, it.ID, story)
		}
	}
	for _, st := range s.stories {
		walk(st, 0, st)
	}
	return out
}

func (s *HackerNewsServer) countComments(it HNItem) int {
	n := 0
	for _, c := range it.Children {
		if s.released(c.At) {
			n += 1 + s.countComments(c)
		}
	}
	return n
}

func (s *HackerNewsServer) tags(f hnFlat) []string {
	kind := "comment"
	if f.parent == 0 {
		kind = "story"
	}
	return []string{kind, "author_" + f.it.Author, "story_" + strconv.FormatInt(f.story.ID, 10)}
}

// tagsMatch applies Algolia's tag filter: commas AND, parentheses OR.
func tagsMatch(filter string, have []string) bool {
	for _, group := range splitTopLevel(filter) {
		group = strings.TrimSpace(group)
		if group == "" {
			continue
		}
		alts := strings.Split(strings.Trim(group, "()"), ",")
		ok := false
		for _, a := range alts {
			if slices.Contains(have, strings.TrimSpace(a)) {
				ok = true
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

func splitTopLevel(s string) []string {
	var out []string
	depth, from := 0, 0
	for i, c := range s {
		switch c {
		case '(':
			depth++
		case ')':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, s[from:i])
				from = i + 1
			}
		}
	}
	return append(out, s[from:])
}

// numericMatch applies filters like "created_at_i>1719000000".
func numericMatch(filters string, vals map[string]int64) (bool, error) {
	for _, f := range strings.Split(filters, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		i := strings.IndexAny(f, "<>=")
		if i <= 0 {
			return false, fmt.Errorf("invalid numericFilters %q", f)
		}
		name, rest := f[:i], f[i:]
		op := rest[:1]
		if len(rest) > 1 && rest[1] == '=' {
			op = rest[:2]
		}
		n, err := strconv.ParseInt(rest[len(op):], 10, 64)
		if err != nil {
			return false, fmt.Errorf("invalid numericFilters %q", f)
		}
		v := vals[name]
		ok := map[string]bool{">": v > n, ">=": v >= n, "<": v < n, "<=": v <= n, "=": v == n}[op]
		if !ok {
			return false, nil
		}
	}
	return true, nil
}

func (s *HackerNewsServer) search(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	words := strings.Fields(strings.ToLower(q.Get("query")))
	var hits []hnFlat
	for _, f := range s.flat() {
		created := s.created(f.it.Published, f.it.At).Unix()
		ok, err := numericMatch(q.Get("numericFilters"), map[string]int64{"created_at_i": created, "points": int64(s.grown(f.it.Points, f.it.PointsPerMinute, f.it.At))})
		if err != nil {
			scriptJSON(w, http.StatusBadRequest, map[string]any{"message": err.Error(), "status": 400})
			return
		}
		if !ok || !tagsMatch(q.Get("tags"), s.tags(f)) {
			continue
		}
		text := strings.ToLower(f.it.Title + " " + stripTags(f.it.Text))
		match := true
		for _, wd := range words {
			if !strings.Contains(text, wd) {
				match = false
			}
		}
		if match {
			hits = append(hits, f)
		}
	}
	slices.SortStableFunc(hits, func(a, b hnFlat) int {
		return s.created(b.it.Published, b.it.At).Compare(s.created(a.it.Published, a.it.At))
	})
	per, _ := strconv.Atoi(q.Get("hitsPerPage"))
	if per <= 0 {
		per = 20
	}
	per = min(per, 1000)
	page, _ := strconv.Atoi(q.Get("page"))
	pages := (len(hits) + per - 1) / per
	from := min(page*per, len(hits))
	to := min(from+per, len(hits))
	out := []any{}
	for _, f := range hits[from:to] {
		out = append(out, s.hitJSON(f))
	}
	scriptJSON(w, http.StatusOK, map[string]any{
		"hits": out, "nbHits": len(hits), "page": page, "nbPages": pages, "hitsPerPage": per,
		"exhaustiveNbHits": true, "processingTimeMS": 1, "query": q.Get("query"), "params": r.URL.RawQuery,
	})
}

func (s *HackerNewsServer) hitJSON(f hnFlat) map[string]any {
	created := s.created(f.it.Published, f.it.At)
	var kids []int64
	for _, c := range f.it.Children {
		if s.released(c.At) {
			kids = append(kids, c.ID)
		}
	}
	h := map[string]any{
		"_tags": s.tags(f), "author": f.it.Author, "children": kids, "objectID": strconv.FormatInt(f.it.ID, 10),
		"created_at": created.Format("2006-01-02T15:04:05Z"), "created_at_i": created.Unix(),
		"updated_at": s.now().UTC().Format("2006-01-02T15:04:05Z"), "story_id": f.story.ID,
	}
	if f.parent == 0 {
		h["title"], h["url"], h["points"] = f.it.Title, f.it.URL, s.grown(f.it.Points, f.it.PointsPerMinute, f.it.At)
		h["num_comments"] = s.countComments(f.it)
		if f.it.Text != "" {
			h["story_text"] = f.it.Text
		}
	} else {
		h["comment_text"], h["parent_id"], h["points"] = f.it.Text, f.parent, nil
		h["story_title"], h["story_url"] = f.story.Title, f.story.URL
	}
	return h
}

func (s *HackerNewsServer) item(w http.ResponseWriter, r *http.Request) {
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	for _, f := range s.flat() {
		if f.it.ID == id {
			scriptJSON(w, http.StatusOK, s.tree(f.it, f.parent, f.story.ID))
			return
		}
	}
	scriptJSON(w, http.StatusNotFound, map[string]any{"status": 404, "error": "Not Found"})
}

func (s *HackerNewsServer) tree(it HNItem, parent, story int64) map[string]any {
	created := s.created(it.Published, it.At)
	n := map[string]any{
		"id": it.ID, "created_at": created.Format("2006-01-02T15:04:05.000Z"), "created_at_i": created.Unix(),
		"author": it.Author, "story_id": story, "options": []any{}, "children": []any{},
	}
	if parent == 0 {
		n["type"], n["title"], n["url"], n["parent_id"] = "story", it.Title, it.URL, nil
		n["points"] = s.grown(it.Points, it.PointsPerMinute, it.At)
		n["text"] = nil
		if it.Text != "" {
			n["text"] = it.Text
		}
	} else {
		n["type"], n["text"], n["parent_id"], n["points"], n["title"], n["url"] = "comment", it.Text, parent, nil, nil, nil
	}
	kids := []any{}
	for _, c := range it.Children {
		if s.released(c.At) {
			kids = append(kids, s.tree(c, it.ID, story))
		}
	}
	n["children"] = kids
	return n
}

// HackerNewsDemoBrandAccount is Kilat Express's engineering account on HN.
const HackerNewsDemoBrandAccount = "kilat_eng"

// HackerNewsDemo is the demo's Hacker News: an Ask HN about Kilat
// Express API timeouts whose points climb and which the brand's engineer
// answers 15 seconds in, a Show HN, an Indonesian comment under an
// unrelated story that nobody answers, and a story that does not mention
// the brand.
func HackerNewsDemo(now func() time.Time) *HackerNewsServer {
	start := now()
	sec := func(n int) time.Duration { return time.Duration(n) * time.Second }
	return NewHackerNewsServer(now,
		HNItem{ID: 43100001, Author: "budi_dev", Published: start.Add(-40 * time.Minute), At: -40 * time.Minute,
			Title:  "Ask HN: Anyone else seeing Kilat Express API timeouts?",
			Text:   "<p>Our checkout calls the Kilat Express rates API and since this morning 30% of requests time out. Status page says all green.</p>",
			Points: 12, PointsPerMinute: 2,
			Children: []HNItem{
				{ID: 43100002, Author: "rlim", Published: start.Add(-30 * time.Minute), At: -30 * time.Minute,
					Text: "<p>Same here. Their webhook retries also stopped.</p>",
					Children: []HNItem{
						{ID: 43100004, Author: HackerNewsDemoBrandAccount, At: sec(15),
							Text: "<p>Engineer at Kilat here, sorry about this. A bad deploy of our rate cache; we rolled it back at 10:40 WIB and webhooks are being replayed now. Postmortem on our blog tomorrow.</p>"},
					}},
				{ID: 43100003, Author: "yk", At: sec(5), Text: "<p>Switched to a fallback courier for now.</p>"},
			}},
		HNItem{ID: 43100010, Author: "tama", Published: start.Add(-3 * time.Hour), At: -3 * time.Hour,
			Title: "Show HN: Open-source parcel tracker for Kilat Express, JNE and SiCepat", URL: "https://github.com/tama/lacak",
			Points: 30, PointsPerMinute: 1},
		HNItem{ID: 43100020, Author: "nadia", Published: start.Add(-2 * time.Hour), At: -2 * time.Hour,
			Title: "The economics of last-mile delivery in Southeast Asia", URL: "https://example.com/last-mile", Points: 80,
			Children: []HNItem{
				{ID: 43100021, Author: "andika", At: sec(8),
					Text: "<p>Kilat Express di Jakarta lumayan cepat sih, tapi CS-nya lambat banget kalau ada paket hilang. Udah 2 minggu belum ada kabar.</p>"},
				{ID: 43100022, Author: "sam", At: sec(9), Text: "<p>Great read, thanks.</p>"},
			}},
	)
}
