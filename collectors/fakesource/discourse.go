package fakesource

import (
	"html"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// DiscourseTopic is one scripted topic; it appears with its first post.
type DiscourseTopic struct {
	ID             int64
	Title          string
	Slug           string
	CategoryID     int
	Tags           []string
	Views          int
	ViewsPerMinute int
	// Posts are numbered 1, 2, ... in order.
	Posts []DiscoursePost
}

// DiscoursePost is one scripted post.
type DiscoursePost struct {
	ID       int64
	Username string
	Name     string
	// Text is plain text; the fake serves it as cooked HTML paragraphs.
	Text string
	// ReplyTo is the post number this one replies to (0: the topic).
	ReplyTo        int
	Published      time.Time
	At             time.Duration
	Likes          int
	LikesPerMinute int
	// Staff flags and primary group, as Discourse reports them.
	Staff, Admin, Moderator bool
	PrimaryGroup            string
}

// DiscourseServer speaks Discourse's JSON API: search.json (full-page
// search with order:latest, after:, @user, quoted phrases and paging),
// t/{id}.json, t/{id}/posts.json?post_ids[]= and posts/{id}.json.
type DiscourseServer struct {
	scriptBase
	// APIKey and APIUsername, when set, make the forum private: every
	// request needs both headers.
	APIKey, APIUsername string
	// PageSize is search's page size (default 50, as Discourse).
	PageSize int

	topics  []DiscourseTopic
	handler http.Handler
}

// NewDiscourseServer returns a Discourse fake whose clock starts now.
func NewDiscourseServer(now func() time.Time, topics ...DiscourseTopic) *DiscourseServer {
	s := &DiscourseServer{scriptBase: newScriptBase(now), topics: topics}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /search.json", s.search)
	mux.HandleFunc("GET /t/{id}", s.topic)
	mux.HandleFunc("GET /t/{id}/posts.json", s.posts)
	mux.HandleFunc("GET /posts/{id}", s.post)
	s.handler = mux
	return s
}

// Add schedules more topics.
func (s *DiscourseServer) Add(topics ...DiscourseTopic) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.topics = append(s.topics, topics...)
}

// AddPost schedules a post in a topic.
func (s *DiscourseServer) AddPost(topicID int64, p DiscoursePost) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.topics {
		if s.topics[i].ID == topicID {
			s.topics[i].Posts = append(s.topics[i].Posts, p)
		}
	}
}

func (s *DiscourseServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.serve(w, r, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.APIKey != "" && (r.Header.Get("Api-Key") != s.APIKey || r.Header.Get("Api-Username") != s.APIUsername) {
			scriptJSON(w, http.StatusForbidden, map[string]any{"errors": []string{"You are not permitted to view the requested resource."}, "error_type": "invalid_access"})
			return
		}
		s.handler.ServeHTTP(w, r)
	}))
}

// dPost is a released post with its number and topic.
type dPost struct {
	DiscoursePost
	number int
	topic  *DiscourseTopic
}

// snapshot returns the released topics with their released posts.
func (s *DiscourseServer) snapshot() []DiscourseTopic {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []DiscourseTopic
	for _, t := range s.topics {
		var posts []DiscoursePost
		for _, p := range t.Posts {
			if s.released(p.At) {
				posts = append(posts, p)
			}
		}
		if len(posts) == 0 || len(t.Posts) == 0 || posts[0].ID != t.Posts[0].ID {
			continue
		}
		t.Posts = posts
		out = append(out, t)
	}
	return out
}

// numbered keeps each post's number from the script, so posts released
// later do not renumber earlier ones.
func (s *DiscourseServer) numbered(t DiscourseTopic) []dPost {
	s.mu.Lock()
	var full DiscourseTopic
	for _, ft := range s.topics {
		if ft.ID == t.ID {
			full = ft
		}
	}
	s.mu.Unlock()
	var out []dPost
	for _, p := range t.Posts {
		n := slices.IndexFunc(full.Posts, func(q DiscoursePost) bool { return q.ID == p.ID }) + 1
		out = append(out, dPost{p, n, &t})
	}
	return out
}

func (s *DiscourseServer) cooked(text string) string {
	var b strings.Builder
	for _, para := range strings.Split(text, "\n\n") {
		b.WriteString("<p>" + html.EscapeString(para) + "</p>")
	}
	return b.String()
}

func (s *DiscourseServer) avatar(u string) string {
	return "/user_avatar/forum.example/" + u + "/{size}/1_2.png"
}

func (s *DiscourseServer) topicJSON(t DiscourseTopic) map[string]any {
	created := s.created(t.Posts[0].Published, t.Posts[0].At)
	last := t.Posts[len(t.Posts)-1]
	tags := t.Tags
	if tags == nil {
		tags = []string{}
	}
	return map[string]any{
		"id": t.ID, "title": t.Title, "fancy_title": html.EscapeString(t.Title), "slug": t.Slug,
		"posts_count": len(t.Posts), "reply_count": len(t.Posts) - 1, "highest_post_number": len(t.Posts),
		"views": s.grown(t.Views, t.ViewsPerMinute, t.Posts[0].At), "like_count": 0,
		"created_at": created.Format("2006-01-02T15:04:05.000Z"), "last_posted_at": s.created(last.Published, last.At).Format("2006-01-02T15:04:05.000Z"),
		"bumped_at": s.created(last.Published, last.At).Format("2006-01-02T15:04:05.000Z"), "category_id": t.CategoryID,
		"tags": tags, "has_accepted_answer": false, "closed": false, "archived": false, "visible": true,
	}
}

func (s *DiscourseServer) postJSON(p dPost, all []dPost) map[string]any {
	replies := 0
	for _, q := range all {
		if q.ReplyTo == p.number {
			replies++
		}
	}
	var replyTo, group any
	if p.ReplyTo > 0 {
		replyTo = p.ReplyTo
	}
	if p.PrimaryGroup != "" {
		group = p.PrimaryGroup
	}
	likes := s.grown(p.Likes, p.LikesPerMinute, p.At)
	var actions []any
	if likes > 0 {
		actions = append(actions, map[string]any{"id": 2, "count": likes})
	}
	return map[string]any{
		"id": p.ID, "name": p.Name, "username": p.Username, "avatar_template": s.avatar(p.Username),
		"created_at": s.created(p.Published, p.At).Format("2006-01-02T15:04:05.000Z"), "cooked": s.cooked(p.Text),
		"post_number": p.number, "post_type": 1, "reply_count": replies, "reply_to_post_number": replyTo,
		"topic_id": p.topic.ID, "topic_slug": p.topic.Slug, "actions_summary": actions, "staff": p.Staff, "admin": p.Admin,
		"moderator": p.Moderator, "primary_group_name": group, "user_title": nil, "deleted_at": nil, "hidden": false,
		"user_deleted": false, "yours": false, "can_edit": false,
	}
}

// blurb is Discourse's search excerpt: plain text around the match.
func blurb(text string, terms []string) string {
	lower := strings.ToLower(text)
	at := 0
	for _, t := range terms {
		if i := strings.Index(lower, t); i >= 0 {
			at = i
			break
		}
	}
	from := max(at-60, 0)
	for from > 0 && from < len(text) && text[from]&0xC0 == 0x80 {
		from--
	}
	to := min(from+200, len(text))
	for to < len(text) && text[to]&0xC0 == 0x80 {
		to++
	}
	out := text[from:to]
	if from > 0 {
		out = "…" + out
	}
	if to < len(text) {
		out += "…"
	}
	return out
}

func (s *DiscourseServer) search(w http.ResponseWriter, r *http.Request) {
	sq := parseSearch(r.URL.Query().Get("q"))
	var after time.Time
	if v := sq.quals["after"]; len(v) > 0 {
		t, err := time.Parse("2006-01-02", v[0])
		if err != nil {
			scriptJSON(w, http.StatusOK, map[string]any{"posts": []any{}, "topics": []any{}, "grouped_search_result": map[string]any{"error": "invalid after: date"}})
			return
		}
		after = t
	}
	var hits []dPost
	for _, t := range s.snapshot() {
		for _, p := range s.numbered(t) {
			if !after.IsZero() && s.created(p.Published, p.At).Before(after) {
				continue
			}
			if users := sq.quals["@"]; len(users) > 0 && !slices.Contains(users, strings.ToLower(p.Username)) {
				continue
			}
			title := ""
			if p.number == 1 {
				title = t.Title
			}
			if sq.match(title, p.Text) {
				hits = append(hits, p)
			}
		}
	}
	slices.SortStableFunc(hits, func(a, b dPost) int {
		return s.created(b.Published, b.At).Compare(s.created(a.Published, a.At))
	})
	size := s.PageSize
	if size <= 0 {
		size = 50
	}
	page, _ := strconv.Atoi(r.URL.Query().Get("page"))
	page = max(page, 1)
	from := min((page-1)*size, len(hits))
	to := min(from+size, len(hits))
	posts, topics, ids := []any{}, []any{}, []int64{}
	seen := map[int64]bool{}
	for _, p := range hits[from:to] {
		posts = append(posts, map[string]any{
			"id": p.ID, "name": p.Name, "username": p.Username, "avatar_template": s.avatar(p.Username),
			"created_at": s.created(p.Published, p.At).Format("2006-01-02T15:04:05.000Z"),
			"like_count": s.grown(p.Likes, p.LikesPerMinute, p.At), "blurb": blurb(p.Text, sq.terms),
			"post_number": p.number, "topic_id": p.topic.ID,
		})
		ids = append(ids, p.ID)
		if !seen[p.topic.ID] {
			seen[p.topic.ID] = true
			topics = append(topics, s.topicJSON(*p.topic))
		}
	}
	var more any
	if to < len(hits) {
		more = true
	}
	scriptJSON(w, http.StatusOK, map[string]any{
		"posts": posts, "topics": topics, "users": []any{}, "categories": []any{}, "tags": []any{}, "groups": []any{},
		"grouped_search_result": map[string]any{"more_posts": nil, "more_users": nil, "more_categories": nil,
			"term": r.URL.Query().Get("q"), "search_log_id": 16604511, "more_full_page_results": more,
			"can_create_topic": false, "error": nil, "post_ids": ids},
	})
}

func (s *DiscourseServer) findTopic(id int64) (DiscourseTopic, bool) {
	for _, t := range s.snapshot() {
		if t.ID == id {
			return t, true
		}
	}
	return DiscourseTopic{}, false
}

func (s *DiscourseServer) notFound(w http.ResponseWriter) {
	scriptJSON(w, http.StatusNotFound, map[string]any{"errors": []string{"The requested URL or resource could not be found."}, "error_type": "not_found"})
}

func (s *DiscourseServer) topic(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(strings.TrimSuffix(r.PathValue("id"), ".json"), 10, 64)
	t, ok := s.findTopic(id)
	if err != nil || !ok {
		s.notFound(w)
		return
	}
	all := s.numbered(t)
	var posts []any
	var stream []int64
	for i, p := range all {
		stream = append(stream, p.ID)
		if i < 20 { // Discourse sends the first chunk of posts inline
			posts = append(posts, s.postJSON(p, all))
		}
	}
	out := s.topicJSON(t)
	out["post_stream"] = map[string]any{"posts": posts, "stream": stream}
	out["details"] = map[string]any{"created_by": map[string]any{"username": t.Posts[0].Username}}
	scriptJSON(w, http.StatusOK, out)
}

func (s *DiscourseServer) posts(w http.ResponseWriter, r *http.Request) {
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	t, ok := s.findTopic(id)
	if !ok {
		s.notFound(w)
		return
	}
	want := r.URL.Query()["post_ids[]"]
	all := s.numbered(t)
	posts := []any{}
	for _, p := range all {
		if slices.Contains(want, strconv.FormatInt(p.ID, 10)) {
			posts = append(posts, s.postJSON(p, all))
		}
	}
	scriptJSON(w, http.StatusOK, map[string]any{"post_stream": map[string]any{"posts": posts}, "id": t.ID})
}

func (s *DiscourseServer) post(w http.ResponseWriter, r *http.Request) {
	id, _ := strconv.ParseInt(strings.TrimSuffix(r.PathValue("id"), ".json"), 10, 64)
	for _, t := range s.snapshot() {
		all := s.numbered(t)
		for _, p := range all {
			if p.ID == id {
				scriptJSON(w, http.StatusOK, s.postJSON(p, all))
				return
			}
		}
	}
	s.notFound(w)
}

// Kilat Express on a Discourse forum of online sellers.
const (
	DiscourseDemoBrandAccount = "kilat_support"
	DiscourseDemoBrandGroup   = "kilat_team"
)

// DiscourseDemo is the demo's seller forum: an Indonesian topic about a
// pickup that never came, which the brand's support answers 12 seconds
// in (replying to the first post) while likes pile up; an English
// integration question nobody answers; and an unrelated topic.
func DiscourseDemo(now func() time.Time) *DiscourseServer {
	start := now()
	sec := func(n int) time.Duration { return time.Duration(n) * time.Second }
	return NewDiscourseServer(now,
		DiscourseTopic{ID: 7101, Title: "Kilat Express pickup tidak datang 3 hari", Slug: "kilat-express-pickup-tidak-datang-3-hari",
			CategoryID: 5, Tags: []string{"kurir"}, Views: 40, ViewsPerMinute: 6,
			Posts: []DiscoursePost{
				{ID: 91001, Username: "toko_sinar", Name: "Toko Sinar", Published: start.Add(-45 * time.Minute), At: -45 * time.Minute,
					Text:  "Sudah request pickup Kilat Express dari Senin tapi kurirnya tidak datang-datang. 40 paket numpuk, pembeli sudah komplain. Ada yang bisa bantu?",
					Likes: 2, LikesPerMinute: 1},
				{ID: 91002, Username: "gudang_rina", Name: "Rina", Published: start.Add(-30 * time.Minute), At: -30 * time.Minute, ReplyTo: 1,
					Text: "Sama gan, di Bekasi juga telat terus minggu ini."},
				{ID: 91003, Username: DiscourseDemoBrandAccount, Name: "Kilat Express Support", PrimaryGroup: DiscourseDemoBrandGroup, ReplyTo: 1, At: sec(12),
					Text: "Halo Toko Sinar, mohon maaf atas keterlambatannya. Pickup sudah kami jadwalkan ulang hari ini jam 14.00 dan kami beri prioritas. Nomor tiket: KX-T-5531."},
			}},
		DiscourseTopic{ID: 7102, Title: "Kilat Express API rate limits for marketplace integration?", Slug: "kilat-express-api-rate-limits",
			CategoryID: 9, Views: 5, ViewsPerMinute: 2,
			Posts: []DiscoursePost{
				{ID: 91010, Username: "devtama", Name: "Tama", At: sec(6),
					Text: "We sync 20k orders a day to Kilat Express and keep hitting 429s. Is there a documented limit or a bulk endpoint?"},
			}},
		DiscourseTopic{ID: 7103, Title: "Tips foto produk pakai HP", Slug: "tips-foto-produk-pakai-hp", CategoryID: 3,
			Posts: []DiscoursePost{{ID: 91020, Username: "fotografer_ok", At: sec(3), Text: "Pakai cahaya jendela, jangan flash."}}},
	)
}
