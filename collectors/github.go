package collectors

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pantau/pantau/store"
	"github.com/pantau/pantau/store/secret"
)

// KindGitHub is the source kind for GitHub issues and pull requests search.
const KindGitHub = "github"

const (
	githubAPI = "https://api.github.com"
	// GitHub's search limits: 10 requests a minute without a token, 30
	// with one (the core API, used by refresh, is 60 an hour without a
	// token and 5,000 with; its headers are followed).
	githubAnonRPM         = 10
	githubTokenRPM        = 30
	githubPageSize        = 100
	githubDefaultMaxPages = 3
	// githubOverlap covers the search index's lag behind updates.
	githubOverlap = 10 * time.Minute
	// githubMaxOps and githubMaxQuery are the search API's limits: at most
	// five AND/OR/NOT operators and 256 characters per query.
	githubMaxOps   = 5
	githubMaxQuery = 256
	// githubMaxScopes: repos plus orgs, joined with OR, must leave room
	// for the terms' ORs.
	githubMaxScopes       = 5
	githubMaxCommentPages = 3
	// githubCacheEntries bounds the ETag cache of refresh responses.
	githubCacheEntries = 512
	// githubSecondaryWait: GitHub's docs ask to wait at least a minute
	// after a secondary rate limit that names no time.
	githubSecondaryWait = time.Minute
	githubAPIVersion    = "2022-11-28"
)

var (
	githubLoginPattern = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$`)
	githubRepoPattern  = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$`)
	githubIssueURL     = regexp.MustCompile(`^https://[^/]+/([A-Za-z0-9-]{1,39})/([A-Za-z0-9._-]{1,100})/(?:issues|pull)/([0-9]{1,10})$`)
	githubBrandAssoc   = []string{"OWNER", "MEMBER", "COLLABORATOR"}
)

// GitHubConfig holds the settings of a github source (the "github:" section).
type GitHubConfig struct {
	// Token (or TokenFile; the source-level token works too) is sent as
	// a Bearer token: 30 searches a minute instead of 10, 5,000 other
	// requests an hour instead of 60, and free conditional requests. A
	// fine-grained token with no permissions reads public data.
	Token     secret.Secret `yaml:"token"`
	TokenFile string        `yaml:"token_file"`
	// Repos ("owner/name") and Orgs restrict the search to them; empty
	// searches all of GitHub. At most 5 together.
	Repos []string `yaml:"repos"`
	Orgs  []string `yaml:"orgs"`
	// BrandOrgs own the brand's repositories: in their repos a comment
	// by an OWNER, MEMBER or COLLABORATOR is the brand's. The brand's
	// "github" accounts count as brand orgs too.
	BrandOrgs []string `yaml:"brand_orgs"`
	// Types is any of issue, pr (default both).
	Types []string `yaml:"types"`
	// MaxPages bounds the pages of 100 read per query and poll (default 3).
	MaxPages int `yaml:"max_pages"`
	// Backfill is how far back the first poll looks (default 24h).
	Backfill time.Duration `yaml:"backfill"`
	// RequestsPerMinute overrides the rate (default 10, or 30 with a
	// token).
	RequestsPerMinute int `yaml:"requests_per_minute"`
}

func (c *GitHubConfig) validate(path string) []error {
	var cfg GitHubConfig
	if c != nil {
		cfg = *c
	}
	var errs []error
	if _, err := secret.Resolve(cfg.Token, cfg.TokenFile); err != nil {
		errs = append(errs, fieldErr(path+".token_file", "%v", err))
	}
	for i, r := range cfg.Repos {
		if !githubRepoPattern.MatchString(strings.TrimSpace(r)) {
			errs = append(errs, fieldErr(fmt.Sprintf("%s.repos[%d]", path, i), "%q is not owner/name", truncateUTF8(r, 80)))
		}
	}
	for _, f := range []struct {
		name string
		list []string
	}{{"orgs", cfg.Orgs}, {"brand_orgs", cfg.BrandOrgs}} {
		for i, o := range f.list {
			if !githubLoginPattern.MatchString(strings.TrimSpace(o)) {
				errs = append(errs, fieldErr(fmt.Sprintf("%s.%s[%d]", path, f.name, i), "%q is not a GitHub user or organisation name", truncateUTF8(o, 40)))
			}
		}
	}
	if n := len(cfg.Repos) + len(cfg.Orgs); n > githubMaxScopes {
		errs = append(errs, fieldErr(path+".repos", "repos and orgs together may name at most %d (GitHub allows 5 boolean operators per search), got %d", githubMaxScopes, n))
	}
	for i, t := range cfg.Types {
		if t != "issue" && t != "pr" {
			errs = append(errs, fieldErr(fmt.Sprintf("%s.types[%d]", path, i), "unknown type %q (allowed: issue, pr)", truncateUTF8(t, 40)))
		}
	}
	errs = append(errs, checkMaxPages(path+".max_pages", cfg.MaxPages, 10)...)
	errs = append(errs, checkBackfill(path+".backfill", cfg.Backfill)...)
	errs = append(errs, checkRPM(path+".requests_per_minute", cfg.RequestsPerMinute)...)
	return errs
}

// GitHub collects issues and pull requests from GitHub's issue search
// and, as a Refresher, reactions, comment counts and brand replies.
type GitHub struct {
	name     string
	brand    string
	fetch    *Fetcher
	base     string
	token    secret.Secret
	maxPages int
	backfill time.Duration

	queries     []string // without the updated: qualifier
	allTerms    bool
	terms       []string
	scopes      []string
	keywords    *keywordMatcher
	exclude     *keywordMatcher
	brandLogins map[string]bool // lower-cased
	brandOrgs   map[string]bool // lower-cased

	hold holdOff

	cacheMu sync.Mutex
	cache   map[string]githubCached
}

type githubCached struct {
	etag string
	body []byte
}

var (
	_ Refresher = (*GitHub)(nil)
	_ Coverage  = (*GitHub)(nil)
)

// NewGitHub builds a github collector. cfg should have passed Validate.
func NewGitHub(cfg SourceConfig, brand Brand, f *Fetcher) (Collector, error) {
	if f == nil {
		return nil, errors.New("github: nil Fetcher")
	}
	var gc GitHubConfig
	if cfg.GitHub != nil {
		gc = *cfg.GitHub
	}
	if errs := gc.validate("github"); len(errs) > 0 {
		return nil, fmt.Errorf("github source %q: %w", cfg.Name, errors.Join(errs...))
	}
	g := &GitHub{
		name:        cfg.Name,
		brand:       brand.Name,
		fetch:       f,
		base:        githubAPI,
		maxPages:    orDefault(gc.MaxPages, githubDefaultMaxPages),
		backfill:    orDefault(gc.Backfill, defaultBackfill),
		exclude:     newKeywordMatcher(append(slices.Clone(cfg.Exclude), brand.Exclude...)),
		brandLogins: accountSet(brand.Accounts[KindGitHub], func(s string) string { return strings.TrimPrefix(s, "@") }),
		brandOrgs:   accountSet(gc.BrandOrgs, func(s string) string { return s }),
		cache:       map[string]githubCached{},
	}
	for l := range g.brandLogins {
		g.brandOrgs[l] = true
	}
	if cfg.URL != "" {
		base, err := apiBaseURL(cfg.URL)
		if err != nil {
			return nil, fmt.Errorf("github source %q: %w", cfg.Name, err)
		}
		g.base = base
	}
	var err error
	if g.token, err = secret.Resolve(gc.Token, gc.TokenFile); err != nil {
		return nil, fmt.Errorf("github source %q: token: %w", cfg.Name, err)
	}
	if !g.token.IsSet() {
		if g.token, err = cfg.token(); err != nil {
			return nil, fmt.Errorf("github source %q: token: %w", cfg.Name, err)
		}
	}
	for _, r := range gc.Repos {
		g.scopes = append(g.scopes, "repo:"+strings.TrimSpace(r))
	}
	for _, o := range gc.Orgs {
		g.scopes = append(g.scopes, "org:"+strings.TrimSpace(o))
	}
	terms, all := searchTerms(cfg, brand)
	g.terms, g.allTerms = terms, all
	switch {
	case all && len(g.scopes) == 0:
		return nil, fmt.Errorf("github source %q: keywords [\"*\"] needs repos or orgs: it would be every issue on GitHub", cfg.Name)
	case all:
		g.keywords = newKeywordMatcher([]string{matchAll})
	case len(terms) == 0:
		return nil, fmt.Errorf("github source %q: no search terms (set keywords or the brand's terms)", cfg.Name)
	default:
		g.keywords = newKeywordMatcher(terms)
	}
	types := gc.Types
	if len(types) == 0 {
		types = []string{"issue", "pr"}
	}
	if g.queries, err = githubQueries(terms, all, g.scopes, types); err != nil {
		return nil, fmt.Errorf("github source %q: %w", cfg.Name, err)
	}
	rpm := gc.RequestsPerMinute
	if rpm == 0 {
		rpm = githubAnonRPM
		if g.token.IsSet() {
			rpm = githubTokenRPM
		}
	}
	for _, h := range hostsOf(g.base) {
		f.LimitHost(h, perMinute(rpm), 1)
	}
	return g, nil
}

// githubQueries builds the search queries: one per type (the endpoint
// wants is:issue or is:pr) and per group of terms that fits GitHub's
// limits of five boolean operators and 256 characters.
func githubQueries(terms []string, all bool, scopes, types []string) ([]string, error) {
	scope := strings.Join(scopes, " OR ")
	if len(scopes) > 1 {
		scope = "(" + scope + ")"
	}
	// Reserve room for "updated:>=2006-01-02T15:04:05Z", added per poll.
	const updatedLen = len(" updated:>=2006-01-02T15:04:05Z")
	build := func(group []string, typ string) string {
		var parts []string
		if len(group) > 0 {
			quoted := make([]string, len(group))
			for i, t := range group {
				quoted[i] = githubTerm(t)
			}
			s := strings.Join(quoted, " OR ")
			if len(group) > 1 {
				s = "(" + s + ")"
			}
			parts = append(parts, s, "in:title,body")
		}
		parts = append(parts, "is:"+typ)
		if scope != "" {
			parts = append(parts, scope)
		}
		return strings.Join(parts, " ")
	}
	perGroup := githubMaxOps - max(len(scopes)-1, 0) + 1
	var groups [][]string
	if all {
		groups = [][]string{nil}
	} else {
		var cur []string
		for _, t := range terms {
			next := append(slices.Clone(cur), t)
			if len(cur) > 0 && (len(next) > perGroup || len(build(next, "issue"))+updatedLen > githubMaxQuery) {
				groups = append(groups, cur)
				next = []string{t}
			}
			cur = next
		}
		if len(cur) > 0 {
			groups = append(groups, cur)
		}
	}
	var out []string
	for _, typ := range types {
		for _, g := range groups {
			q := build(g, typ)
			if len(q)+updatedLen > githubMaxQuery {
				return nil, fmt.Errorf("the search query %q is longer than GitHub's %d characters: shorten the keyword or the repos and orgs", truncateUTF8(q, 80), githubMaxQuery)
			}
			out = append(out, q)
		}
	}
	return out, nil
}

func githubTerm(t string) string {
	t = strings.Join(strings.Fields(strings.ReplaceAll(t, `"`, " ")), " ")
	if strings.ContainsAny(t, " :()") {
		return `"` + t + `"`
	}
	return t
}

func (g *GitHub) Name() string { return g.name }
func (g *GitHub) Kind() string { return KindGitHub }

// Coverage says what the source sees.
func (g *GitHub) Coverage() string {
	var b strings.Builder
	b.WriteString("Issues and pull requests")
	if len(g.scopes) > 0 {
		fmt.Fprintf(&b, " in %s", strings.Join(g.scopes, ", "))
	} else {
		b.WriteString(" anywhere on GitHub")
	}
	if !g.allTerms {
		fmt.Fprintf(&b, " whose title or body contains %s", quoteList(g.terms))
	}
	b.WriteString(", found as they are opened or updated, through the issue search API. Brand replies: issue comments by ")
	var who []string
	if len(g.brandLogins) > 0 {
		who = append(who, strings.Join(sortedKeys(g.brandLogins), ", "))
	}
	if len(g.brandOrgs) > 0 {
		who = append(who, "owners, members and collaborators of "+strings.Join(sortedKeys(g.brandOrgs), ", ")+" in their repositories (bots excluded)")
	}
	if len(who) == 0 {
		who = append(who, "nobody (no brand accounts or brand_orgs are configured)")
	}
	b.WriteString(strings.Join(who, " and "))
	fmt.Fprintf(&b, ". Cannot see: Discussions (not in the REST search API), mentions only in comments, code, commits or wikis, more than 1,000 results per query or %d per poll, and author follower counts (not fetched). ", g.maxPages*githubPageSize)
	if g.token.IsSet() {
		b.WriteString("With a token: 30 searches a minute, 5,000 other requests an hour.")
	} else {
		b.WriteString("Without a token: 10 searches a minute and 60 other requests an hour, so refreshes run out quickly.")
	}
	return b.String()
}

type githubCursor struct {
	hwmCursor
}

type githubUser struct {
	Login string `json:"login"`
	Type  string `json:"type"`
}

type githubIssue struct {
	NodeID            string          `json:"node_id"`
	Number            int64           `json:"number"`
	HTMLURL           string          `json:"html_url"`
	Title             string          `json:"title"`
	Body              *string         `json:"body"`
	User              *githubUser     `json:"user"`
	CreatedAt         time.Time       `json:"created_at"`
	UpdatedAt         time.Time       `json:"updated_at"`
	Comments          *float64        `json:"comments"`
	AuthorAssociation string          `json:"author_association"`
	PullRequest       json.RawMessage `json:"pull_request"`
	Reactions         *struct {
		TotalCount *float64 `json:"total_count"`
	} `json:"reactions"`
}

type githubComment struct {
	HTMLURL           string      `json:"html_url"`
	Body              *string     `json:"body"`
	User              *githubUser `json:"user"`
	CreatedAt         time.Time   `json:"created_at"`
	AuthorAssociation string      `json:"author_association"`
}

// Poll runs each search query for issues and pull requests updated since
// the cursor.
func (g *GitHub) Poll(ctx context.Context, cursor string) (store.Batch, error) {
	cur := parseJSONCursor[githubCursor](cursor)
	now := g.fetch.Now().UTC()
	since := cur.since(now, g.backfill, githubOverlap)
	b := store.Batch{Source: g.name, Kind: KindGitHub, At: now, Coverage: g.Coverage()}
	for _, q := range g.queries {
		if err := g.search(ctx, q+" updated:>="+since.Format("2006-01-02T15:04:05Z"), &cur.hwmCursor, since, now, &b); err != nil {
			return store.Batch{}, err
		}
	}
	cur.prune(githubOverlap)
	next, err := json.Marshal(cur)
	if err != nil {
		return store.Batch{}, fmt.Errorf("github source %q: encode cursor: %w", g.name, err)
	}
	s := string(next)
	b.Cursor = &s
	return b, nil
}

func (g *GitHub) search(ctx context.Context, query string, cur *hwmCursor, since, now time.Time, b *store.Batch) error {
	for page := 1; page <= g.maxPages; page++ {
		q := url.Values{"q": {query}, "sort": {"updated"}, "order": {"desc"}, "per_page": {strconv.Itoa(githubPageSize)},
			"page": {strconv.Itoa(page)}, "advanced_search": {"true"}}
		body, shown, err := g.get(ctx, "search", "/search/issues", q, false)
		if err != nil {
			return err
		}
		var res struct {
			TotalCount *int64            `json:"total_count"`
			Items      []json.RawMessage `json:"items"`
		}
		if err := json.Unmarshal(body, &res); err != nil {
			return fmt.Errorf("github source %q: malformed search response from %s: %s", g.name, shown, describeJSONError(body, err))
		}
		if res.TotalCount == nil || res.Items == nil {
			return fmt.Errorf("github source %q: malformed search response from %s: no total_count or items (not a search result)", g.name, shown)
		}
		reached := false
		for _, raw := range res.Items {
			var it githubIssue
			if json.Unmarshal(raw, &it) != nil || it.NodeID == "" || it.CreatedAt.IsZero() || it.UpdatedAt.IsZero() || !githubIssueURL.MatchString(it.HTMLURL) {
				continue // skip the malformed item, keep the rest
			}
			updated := notAfterSkew(it.UpdatedAt, now)
			if !updated.After(since) {
				reached = true
				continue
			}
			// An issue comes back each time it is updated: the id
			// includes the update, the store keeps one mention and a
			// new engagement sample.
			seenID := it.NodeID + "@" + strconv.FormatInt(updated.Unix(), 10)
			if !cur.fresh(seenID, updated, since) {
				continue
			}
			cur.saw(seenID, updated)
			if m, ok := g.issueMention(it, now); ok {
				b.Mentions = append(b.Mentions, m)
				b.Samples = append(b.Samples, g.issueSample(keyOf(m), it, now))
			}
		}
		if reached || len(res.Items) < githubPageSize || int64(page*githubPageSize) >= *res.TotalCount {
			break
		}
	}
	return nil
}

func (g *GitHub) issueSample(key string, it githubIssue, now time.Time) store.MentionSample {
	s := store.Sample{At: now, Replies: floatCount(it.Comments)}
	if it.Reactions != nil {
		s.Likes = floatCount(it.Reactions.TotalCount)
	}
	return store.MentionSample{Key: key, Sample: s}
}

// ownerOf is the repository owner in an issue or comment URL.
func ownerOf(htmlURL string) string {
	u, err := url.Parse(htmlURL)
	if err != nil {
		return ""
	}
	owner, _, _ := strings.Cut(strings.TrimPrefix(u.Path, "/"), "/")
	return strings.ToLower(owner)
}

// isBrand: a brand login anywhere, or an owner, member or collaborator
// in one of the brand's own repos (author_association is relative to the
// repo, so MEMBER elsewhere means someone else's team). Bots (stale
// bots, CI) are not the brand answering unless listed by name.
func (g *GitHub) isBrand(u *githubUser, assoc, htmlURL string) bool {
	if u == nil {
		return false
	}
	if g.brandLogins[strings.ToLower(u.Login)] {
		return true
	}
	return u.Type != "Bot" && slices.Contains(githubBrandAssoc, assoc) && g.brandOrgs[ownerOf(htmlURL)]
}

func (g *GitHub) issueMention(it githubIssue, now time.Time) (store.Mention, bool) {
	if it.User == nil || it.User.Login == "" {
		return store.Mention{}, false
	}
	title := cleanText(it.Title)
	text := ""
	if it.Body != nil {
		text = cleanText(*it.Body)
	}
	byBrand := g.isBrand(it.User, it.AuthorAssociation, it.HTMLURL)
	if !byBrand && (g.keywords.match(title, text) == "" || g.exclude.match(title, text) != "") {
		return store.Mention{}, false
	}
	return store.Mention{
		Kind:      KindGitHub,
		Source:    g.name,
		NativeID:  it.HTMLURL,
		URL:       it.HTMLURL,
		Brand:     g.brand,
		Author:    githubAuthor(it.User),
		Title:     truncateUTF8(title, maxTitleBytes),
		Text:      truncateUTF8(text, maxTextBytes),
		CreatedAt: notAfterSkew(it.CreatedAt, now),
		ByBrand:   byBrand,
	}, true
}

func githubAuthor(u *githubUser) store.Author {
	login := truncateUTF8(cleanText(u.Login), maxAuthorBytes)
	a := store.Author{Handle: login, DisplayName: login}
	if githubLoginPattern.MatchString(strings.TrimSuffix(login, "[bot]")) {
		a.ProfileURL = "https://github.com/" + login
	}
	return a
}

// Refresh re-reads each given issue (reactions and comment count, with
// conditional requests) and, for customer issues not yet answered, its
// comments: brand comments become ByBrand mentions answering the issue.
// Other people's comments are not stored: the comment count measures
// them, and the search would have found them if they named the brand in
// a new issue.
//
// The batch holds everything gathered even when err is not nil: ingest it
// either way.
func (g *GitHub) Refresh(ctx context.Context, mentions []store.Mention) (store.Batch, error) {
	now := g.fetch.Now().UTC()
	b := store.Batch{Source: g.name, Kind: KindGitHub, At: now}
	var errs []error
	emitted := map[string]bool{}
	for i := range mentions {
		m := &mentions[i]
		if m.Kind != KindGitHub {
			continue
		}
		sub := githubIssueURL.FindStringSubmatch(m.NativeID)
		if sub == nil {
			continue
		}
		path := fmt.Sprintf("/repos/%s/%s/issues/%s", sub[1], sub[2], sub[3])
		if err := g.refreshIssue(ctx, path, m, now, &b); err != nil {
			if isGone(err) {
				continue // deleted, transferred or made private
			}
			errs = append(errs, err)
			if stopRefresh(ctx, err) {
				break
			}
			continue
		}
		if m.ByBrand || m.AnsweredAt != nil {
			continue
		}
		if err := g.scanComments(ctx, path+"/comments", m, emitted, now, &b); err != nil && !isGone(err) {
			errs = append(errs, err)
			if stopRefresh(ctx, err) {
				break
			}
		}
	}
	return b, errors.Join(errs...)
}

func isGone(err error) bool {
	var se *StatusError
	return errors.As(err, &se) && (se.Code == http.StatusNotFound || se.Code == http.StatusGone || (se.Code == http.StatusForbidden && se.RetryAfter == 0))
}

func (g *GitHub) refreshIssue(ctx context.Context, path string, m *store.Mention, now time.Time, b *store.Batch) error {
	body, shown, err := g.get(ctx, "core", path, nil, true)
	if err != nil {
		return err
	}
	var it githubIssue
	if err := json.Unmarshal(body, &it); err != nil || it.Number <= 0 {
		return fmt.Errorf("github source %q: malformed issue from %s: not an issue object", g.name, shown)
	}
	b.Samples = append(b.Samples, g.issueSample(keyOf(*m), it, now))
	return nil
}

func (g *GitHub) scanComments(ctx context.Context, path string, m *store.Mention, emitted map[string]bool, now time.Time, b *store.Batch) error {
	q := url.Values{"per_page": {strconv.Itoa(githubPageSize)}}
	for page := 1; page <= githubMaxCommentPages; page++ {
		q.Set("page", strconv.Itoa(page))
		body, shown, err := g.get(ctx, "core", path, q, true)
		if err != nil {
			return err
		}
		var raws []json.RawMessage
		if err := json.Unmarshal(body, &raws); err != nil {
			return fmt.Errorf("github source %q: malformed comments from %s: %s", g.name, shown, describeJSONError(body, err))
		}
		for _, raw := range raws {
			var c githubComment
			if json.Unmarshal(raw, &c) != nil || c.User == nil || c.Body == nil || c.CreatedAt.IsZero() || !strings.HasPrefix(c.HTMLURL, m.NativeID+"#") {
				continue
			}
			if !g.isBrand(c.User, c.AuthorAssociation, c.HTMLURL) || emitted[c.HTMLURL] || len(c.HTMLURL) > maxNativeIDBytes {
				continue
			}
			emitted[c.HTMLURL] = true
			b.Mentions = append(b.Mentions, store.Mention{
				Kind:       KindGitHub,
				Source:     g.name,
				NativeID:   c.HTMLURL,
				URL:        c.HTMLURL,
				Brand:      g.brand,
				Author:     githubAuthor(c.User),
				Text:       truncateUTF8(cleanText(*c.Body), maxTextBytes),
				CreatedAt:  notAfterSkew(c.CreatedAt, now),
				ByBrand:    true,
				ReplyTo:    keyOf(*m),
				ThreadRoot: keyOf(*m),
			})
		}
		if len(raws) < githubPageSize {
			break
		}
	}
	return nil
}

// get performs one API GET in a rate-limit bucket ("search" or "core",
// which GitHub counts apart). It follows GitHub's rate-limit headers: an
// exhausted budget, a 403 or 429 with x-ratelimit-remaining: 0, or a
// secondary limit holds the bucket until the reset and comes back as a
// *StatusError with RetryAfter, so the scheduler backs off. With
// conditional set, the response is cached with its ETag and a 304 is
// answered from the cache (free of quota when authenticated).
func (g *GitHub) get(ctx context.Context, bucket, path string, q url.Values, conditional bool) ([]byte, string, error) {
	u := g.base + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	shown := redactURL(u)
	now := g.fetch.Now()
	if d := g.hold.wait(bucket, now); d > 0 {
		return nil, shown, fmt.Errorf("github source %q: %w", g.name, heldError(shown, d, "GitHub's "+bucket+" rate limit"))
	}
	h := http.Header{"Accept": {"application/vnd.github+json"}, "X-GitHub-Api-Version": {githubAPIVersion}}
	if g.token.IsSet() {
		h.Set("Authorization", "Bearer "+g.token.Reveal())
	}
	req := Request{URL: u, Header: h}
	var cached githubCached
	if conditional {
		g.cacheMu.Lock()
		cached = g.cache[u]
		g.cacheMu.Unlock()
		req.ETag = cached.etag
	}
	resp, err := g.fetch.Get(ctx, req)
	if err != nil {
		var se *StatusError
		if errors.As(err, &se) && (se.Code == http.StatusForbidden || se.Code == http.StatusTooManyRequests) {
			if d := githubLimitWait(se.Header, se.Body, se.Code, now); d > 0 && se.RetryAfter == 0 {
				se.RetryAfter = d
			}
			if se.RetryAfter > 0 {
				g.hold.set(bucket, now.Add(se.RetryAfter))
			}
		}
		return nil, shown, fmt.Errorf("github source %q: %w", g.name, scrubErr(err, g.token.Reveal()))
	}
	if resp.Header.Get("X-Ratelimit-Remaining") == "0" {
		if reset := githubReset(resp.Header, now); reset > 0 {
			g.hold.set(bucket, now.Add(reset))
		}
	}
	if resp.NotModified {
		if cached.body == nil {
			return nil, shown, fmt.Errorf("github source %q: %s answered 304 Not Modified to a request it has no copy of", g.name, shown)
		}
		return cached.body, shown, nil
	}
	if conditional && resp.ETag != "" {
		g.cacheMu.Lock()
		if len(g.cache) >= githubCacheEntries {
			for k := range g.cache { // evict one, any: the cache only saves quota
				delete(g.cache, k)
				break
			}
		}
		g.cache[u] = githubCached{etag: resp.ETag, body: resp.Body}
		g.cacheMu.Unlock()
	}
	return resp.Body, shown, nil
}

// githubLimitWait is how long a 403 or 429 asks to wait: until
// x-ratelimit-reset when the primary budget is spent, a minute for a
// secondary limit that names no time, else zero (a plain 403 is a
// permission problem, not a rate limit).
func githubLimitWait(h http.Header, body string, code int, now time.Time) time.Duration {
	if h.Get("X-Ratelimit-Remaining") == "0" {
		if d := githubReset(h, now); d > 0 {
			return d
		}
		return githubSecondaryWait
	}
	if code == http.StatusTooManyRequests || strings.Contains(strings.ToLower(body), "secondary rate limit") {
		return githubSecondaryWait
	}
	return 0
}

// githubReset reads x-ratelimit-reset (epoch seconds) as a wait from now,
// at least a second (the reset second itself may still be refused) and
// clamped like Retry-After.
func githubReset(h http.Header, now time.Time) time.Duration {
	epoch, err := strconv.ParseInt(strings.TrimSpace(h.Get("X-Ratelimit-Reset")), 10, 64)
	if err != nil || epoch <= 0 {
		return 0
	}
	d := time.Unix(epoch, 0).Sub(now) + time.Second
	return min(max(d, time.Second), maxRetryAfter)
}
