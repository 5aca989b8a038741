package fakesource

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// GitHubIssue is one scripted issue or pull request.
type GitHubIssue struct {
	Owner, Repo string
	Number      int
	PR          bool
	Title, Body string
	User        string
	UserType    string // "User" (default) or "Bot"
	// Association is the author's author_association ("NONE" default).
	Association string
	State       string // "open" (default) or "closed"
	Published   time.Time
	At          time.Duration
	// Reactions grow by ReactionsPerMinute (all of them "+1").
	Reactions          int
	ReactionsPerMinute int
	Comments           []GitHubComment
}

// GitHubComment is one scripted issue comment.
type GitHubComment struct {
	ID          int64
	User        string
	UserType    string
	Association string
	Body        string
	Published   time.Time
	At          time.Duration
}

// GitHubServer speaks GitHub's REST API for issue search and issue
// comments: /search/issues (q with terms, OR, is:, in:, updated:>=,
// repo:, org:; sort=updated; paging), /repos/{o}/{r}/issues/{n} and its
// /comments, with ETags and 304s, Link paging and the x-ratelimit-*
// headers; an exhausted budget answers 403 with x-ratelimit-remaining: 0,
// as GitHub does.
type GitHubServer struct {
	scriptBase
	// Token, when set, is the one valid bearer token; a wrong one gets
	// 401 "Bad credentials". Requests without a token are anonymous.
	Token string
	// SearchLimit and CoreLimit are the budgets per clock minute and
	// hour (0: unlimited, headers still sent).
	SearchLimit, CoreLimit int

	issues  []GitHubIssue
	used    map[string]int // bucket/window -> used
	handler http.Handler
}

// NewGitHubServer returns a GitHub fake whose clock starts now.
func NewGitHubServer(now func() time.Time, issues ...GitHubIssue) *GitHubServer {
	s := &GitHubServer{scriptBase: newScriptBase(now), issues: issues, used: map[string]int{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /search/issues", s.search)
	mux.HandleFunc("GET /repos/{owner}/{repo}/issues/{n}", s.issue)
	mux.HandleFunc("GET /repos/{owner}/{repo}/issues/{n}/comments", s.comments)
	s.handler = mux
	return s
}

// Add schedules more issues.
func (s *GitHubServer) Add(issues ...GitHubIssue) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.issues = append(s.issues, issues...)
}

// AddComment schedules a comment on owner/repo#number.
func (s *GitHubServer) AddComment(owner, repo string, number int, c GitHubComment) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.issues {
		if is := &s.issues[i]; is.Owner == owner && is.Repo == repo && is.Number == number {
			is.Comments = append(is.Comments, c)
		}
	}
}

func (s *GitHubServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.serve(w, r, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		authed := false
		if auth := r.Header.Get("Authorization"); auth != "" {
			if s.Token == "" || auth != "Bearer "+s.Token {
				scriptJSON(w, http.StatusUnauthorized, map[string]any{"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest", "status": "401"})
				return
			}
			authed = true
		}
		bucket, limit, window := "core", s.CoreLimit, time.Hour
		if strings.HasPrefix(r.URL.Path, "/search/") {
			bucket, limit, window = "search", s.SearchLimit, time.Minute
		}
		if limit == 0 {
			limit = 5000
		}
		now := s.now()
		start := now.Truncate(window)
		key := bucket + "/" + strconv.FormatInt(start.Unix(), 10)
		// A 304 to an authorised conditional request is free.
		free := authed && r.Header.Get("If-None-Match") != "" && r.Header.Get("If-None-Match") == s.etagFor(r)
		s.mu.Lock()
		if !free {
			s.used[key]++
		}
		used := s.used[key]
		s.mu.Unlock()
		h := w.Header()
		h.Set("X-Ratelimit-Limit", strconv.Itoa(limit))
		h.Set("X-Ratelimit-Remaining", strconv.Itoa(max(limit-used, 0)))
		h.Set("X-Ratelimit-Reset", strconv.FormatInt(start.Add(window).Unix(), 10))
		h.Set("X-Ratelimit-Used", strconv.Itoa(min(used, limit)))
		h.Set("X-Ratelimit-Resource", bucket)
		if used > limit {
			scriptJSON(w, http.StatusForbidden, map[string]any{"message": "API rate limit exceeded for 127.0.0.1.", "documentation_url": "https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting"})
			return
		}
		s.handler.ServeHTTP(w, r)
	}))
}

func (s *GitHubServer) snapshot() []GitHubIssue {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []GitHubIssue
	for _, is := range s.issues {
		if !s.released(is.At) {
			continue
		}
		var cs []GitHubComment
		for _, c := range is.Comments {
			if s.released(c.At) {
				cs = append(cs, c)
			}
		}
		is.Comments = cs
		out = append(out, is)
	}
	return out
}

func (s *GitHubServer) htmlURL(is GitHubIssue) string {
	kind := "issues"
	if is.PR {
		kind = "pull"
	}
	return fmt.Sprintf("https://github.com/%s/%s/%s/%d", is.Owner, is.Repo, kind, is.Number)
}

func (s *GitHubServer) updated(is GitHubIssue) time.Time {
	t := s.created(is.Published, is.At)
	for _, c := range is.Comments {
		if ct := s.created(c.Published, c.At); ct.After(t) {
			t = ct
		}
	}
	return t
}

func ghUser(login, typ string) map[string]any {
	if typ == "" {
		typ = "User"
	}
	return map[string]any{"login": login, "id": len(login) * 1000, "node_id": "U_" + login, "type": typ,
		"html_url": "https://github.com/" + login, "site_admin": false}
}

func orNone(s string) string {
	if s == "" {
		return "NONE"
	}
	return s
}

func (s *GitHubServer) issueJSON(is GitHubIssue, apiBase string) map[string]any {
	reactions := s.grown(is.Reactions, is.ReactionsPerMinute, is.At)
	state := is.State
	if state == "" {
		state = "open"
	}
	out := map[string]any{
		"id": int64(is.Number)*7919 + int64(len(is.Repo)), "node_id": fmt.Sprintf("I_%s_%s_%d", is.Owner, is.Repo, is.Number),
		"number": is.Number, "title": is.Title, "body": is.Body, "user": ghUser(is.User, is.UserType), "state": state,
		"labels": []any{}, "locked": false, "comments": len(is.Comments),
		"created_at": s.created(is.Published, is.At).Format(time.RFC3339), "updated_at": s.updated(is).Format(time.RFC3339),
		"closed_at": nil, "author_association": orNone(is.Association), "html_url": s.htmlURL(is),
		"repository_url": apiBase + "/repos/" + is.Owner + "/" + is.Repo,
		"url":            apiBase + fmt.Sprintf("/repos/%s/%s/issues/%d", is.Owner, is.Repo, is.Number),
		"reactions": map[string]any{"total_count": reactions, "+1": reactions, "-1": 0, "laugh": 0, "hooray": 0,
			"confused": 0, "heart": 0, "rocket": 0, "eyes": 0},
	}
	if is.PR {
		out["pull_request"] = map[string]any{"url": apiBase + fmt.Sprintf("/repos/%s/%s/pulls/%d", is.Owner, is.Repo, is.Number), "html_url": s.htmlURL(is)}
	}
	return out
}

func apiBase(r *http.Request) string { return "http://" + r.Host }

func (s *GitHubServer) search(w http.ResponseWriter, r *http.Request) {
	sq := parseSearch(r.URL.Query().Get("q"))
	is := sq.quals["is"]
	if !slices.Contains(is, "issue") && !slices.Contains(is, "pr") && !slices.Contains(is, "pull-request") {
		scriptJSON(w, http.StatusUnprocessableEntity, map[string]any{"message": "Validation Failed",
			"errors": []any{map[string]any{"message": "Query must include 'is:issue' or 'is:pull-request'", "resource": "Search", "field": "q", "code": "invalid"}}})
		return
	}
	var since time.Time
	for _, u := range sq.quals["updated"] {
		v := strings.TrimPrefix(strings.TrimPrefix(u, ">="), ">")
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			if t, err = time.Parse("2006-01-02", v); err != nil {
				scriptJSON(w, http.StatusUnprocessableEntity, map[string]any{"message": "Validation Failed"})
				return
			}
		}
		since = t
	}
	wantPR := slices.Contains(is, "pr") || slices.Contains(is, "pull-request")
	wantIssue := slices.Contains(is, "issue")
	var hits []GitHubIssue
	for _, it := range s.snapshot() {
		if (it.PR && !wantPR) || (!it.PR && !wantIssue) {
			continue
		}
		scoped := len(sq.quals["repo"])+len(sq.quals["org"]) == 0
		for _, repo := range sq.quals["repo"] {
			scoped = scoped || strings.EqualFold(repo, it.Owner+"/"+it.Repo)
		}
		for _, org := range sq.quals["org"] {
			scoped = scoped || strings.EqualFold(org, it.Owner)
		}
		if !scoped || (!since.IsZero() && s.updated(it).Before(since)) || !sq.match(it.Title, it.Body) {
			continue
		}
		hits = append(hits, it)
	}
	slices.SortStableFunc(hits, func(a, b GitHubIssue) int { return s.updated(b).Compare(s.updated(a)) })
	per, _ := strconv.Atoi(r.URL.Query().Get("per_page"))
	if per <= 0 {
		per = 30
	}
	per = min(per, 100)
	page, _ := strconv.Atoi(r.URL.Query().Get("page"))
	page = max(page, 1)
	from := min((page-1)*per, len(hits))
	to := min(from+per, len(hits))
	items := []any{}
	for _, it := range hits[from:to] {
		items = append(items, s.issueJSON(it, apiBase(r)))
	}
	scriptJSON(w, http.StatusOK, map[string]any{"total_count": len(hits), "incomplete_results": false, "items": items})
}

// find locates the issue of a /repos/{o}/{r}/issues/{n}[/comments] path.
// It parses the path itself: the rate-limit check that needs it runs
// before the mux has set the path values.
func (s *GitHubServer) find(r *http.Request) (GitHubIssue, bool) {
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/"), "/")
	if len(parts) < 5 || parts[0] != "repos" || parts[3] != "issues" {
		return GitHubIssue{}, false
	}
	n, _ := strconv.Atoi(parts[4])
	for _, it := range s.snapshot() {
		if strings.EqualFold(it.Owner, parts[1]) && strings.EqualFold(it.Repo, parts[2]) && it.Number == n {
			return it, true
		}
	}
	return GitHubIssue{}, false
}

// render builds a response body for r, or nil with a status.
func (s *GitHubServer) render(r *http.Request) ([]byte, http.Header, int) {
	it, ok := s.find(r)
	if !ok {
		return nil, nil, http.StatusNotFound
	}
	h := http.Header{}
	var v any
	if !strings.HasSuffix(r.URL.Path, "/comments") {
		v = s.issueJSON(it, apiBase(r))
	} else {
		per, _ := strconv.Atoi(r.URL.Query().Get("per_page"))
		if per <= 0 {
			per = 30
		}
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		page = max(page, 1)
		from := min((page-1)*per, len(it.Comments))
		to := min(from+per, len(it.Comments))
		list := []any{}
		for _, c := range it.Comments[from:to] {
			created := s.created(c.Published, c.At).Format(time.RFC3339)
			list = append(list, map[string]any{
				"id": c.ID, "node_id": fmt.Sprintf("IC_%d", c.ID), "html_url": fmt.Sprintf("%s#issuecomment-%d", s.htmlURL(it), c.ID),
				"issue_url": apiBase(r) + fmt.Sprintf("/repos/%s/%s/issues/%d", it.Owner, it.Repo, it.Number),
				"body":      c.Body, "user": ghUser(c.User, c.UserType), "created_at": created, "updated_at": created,
				"author_association": orNone(c.Association), "reactions": map[string]any{"total_count": 0},
			})
		}
		if to < len(it.Comments) {
			next := *r.URL
			q := next.Query()
			q.Set("page", strconv.Itoa(page+1))
			next.RawQuery = q.Encode()
			h.Set("Link", fmt.Sprintf(`<%s%s>; rel="next"`, apiBase(r), next.RequestURI()))
		}
		v = list
	}
	b, _ := json.Marshal(v)
	sum := sha256.Sum256(b)
	h.Set("ETag", `"`+hex.EncodeToString(sum[:8])+`"`)
	return b, h, http.StatusOK
}

func (s *GitHubServer) etagFor(r *http.Request) string {
	if !strings.HasPrefix(r.URL.Path, "/repos/") {
		return ""
	}
	_, h, code := s.render(r)
	if code != http.StatusOK {
		return ""
	}
	return h.Get("ETag")
}

func (s *GitHubServer) issue(w http.ResponseWriter, r *http.Request) { s.conditional(w, r) }

func (s *GitHubServer) comments(w http.ResponseWriter, r *http.Request) { s.conditional(w, r) }

func (s *GitHubServer) conditional(w http.ResponseWriter, r *http.Request) {
	body, h, code := s.render(r)
	if code != http.StatusOK {
		scriptJSON(w, code, map[string]any{"message": "Not Found", "documentation_url": "https://docs.github.com/rest", "status": strconv.Itoa(code)})
		return
	}
	for k, vs := range h {
		w.Header()[k] = vs
	}
	if r.Header.Get("If-None-Match") == h.Get("ETag") {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	w.Write(body)
}

// Kilat Express on GitHub: its organisation and a maintainer.
const (
	GitHubDemoBrandOrg   = "kilatexpress"
	GitHubDemoMaintainer = "rizky-kilat"
)

// GitHubDemo is the demo's GitHub: a TLS bug in the brand's Go SDK that
// a maintainer (MEMBER of kilatexpress) answers 10 seconds in while
// thumbs-ups pile up, a wrong-rates issue in a third-party shop plugin
// nobody from the brand answers, an Indonesian integration issue, a pull
// request, a stale-bot comment that is not an answer, and an issue that
// does not mention the brand.
func GitHubDemo(now func() time.Time) *GitHubServer {
	start := now()
	sec := func(n int) time.Duration { return time.Duration(n) * time.Second }
	return NewGitHubServer(now,
		GitHubIssue{Owner: GitHubDemoBrandOrg, Repo: "kilat-sdk-go", Number: 42, User: "dev1",
			Title: "Kilat Express SDK 3.1 breaks TLS on Alpine", Published: start.Add(-2 * time.Hour), At: -2 * time.Hour,
			Body:      "After upgrading to v3.1 every call to the Kilat Express API fails with x509: certificate signed by unknown authority on alpine:3.20.",
			Reactions: 4, ReactionsPerMinute: 2,
			Comments: []GitHubComment{
				{ID: 5001, User: "github-actions[bot]", UserType: "Bot", Body: "This issue has been labelled needs-triage.", Published: start.Add(-119 * time.Minute), At: -119 * time.Minute},
				{ID: 5002, User: "ops-andi", Association: "NONE", Body: "+1, same on our CI.", Published: start.Add(-90 * time.Minute), At: -90 * time.Minute},
				{ID: 5003, User: GitHubDemoMaintainer, Association: "MEMBER", At: sec(10),
					Body: "Thanks for the report, and sorry for the breakage. v3.1 dropped the bundled CA roots; v3.1.1 restores them and is tagged now. Please upgrade and let us know."},
			}},
		GitHubIssue{Owner: "wayan-dev", Repo: "woo-kilat-shipping", Number: 7, User: "wayan", At: sec(5),
			Title:     "Kilat Express shipping rates wrong for Bali",
			Body:      "Checkout quotes Rp 9.000 to Denpasar but Kilat Express charges Rp 24.000. Customers are angry.",
			Reactions: 1, ReactionsPerMinute: 1,
			Comments: []GitHubComment{{ID: 6001, User: "komang", Body: "Same for Lombok.", At: sec(9)}}},
		GitHubIssue{Owner: "tokoku", Repo: "ongkir", Number: 118, User: "sari-id", At: sec(8),
			Title: "Integrasi Kilat Express gagal: resi tidak valid",
			Body:  "Sejak kemarin semua resi Kilat Express ditolak dengan error INVALID_AWB. Mohon dicek."},
		GitHubIssue{Owner: GitHubDemoBrandOrg, Repo: "kilat-sdk-go", Number: 43, PR: true, User: "contrib-joe", Association: "CONTRIBUTOR", At: sec(3),
			Title: "Fix Kilat Express tracking status parsing for RETURNED parcels",
			Body:  "The SDK maps RETURNED to UNKNOWN; this adds the missing case and a test."},
		GitHubIssue{Owner: "someone", Repo: "dotfiles", Number: 3, User: "someone", At: sec(2),
			Title: "zsh prompt slow", Body: "Nothing to do with couriers."},
	)
}
