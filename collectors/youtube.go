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

	"github.com/mmcdole/gofeed"
	ext "github.com/mmcdole/gofeed/extensions"

	"github.com/pantau/pantau/store"
	"github.com/pantau/pantau/store/secret"
)

// KindYouTube is the source kind for YouTube: the public video feeds of the
// channels and playlists listed (the brand's own channel, creators who
// review its products) and, with a Data API key, the comments on the
// brand's own videos, where customers complain and the brand answers.
const KindYouTube = "youtube"

const (
	youTubeFeedBase = "https://www.youtube.com"
	youTubeAPIBase  = "https://www.googleapis.com/youtube/v3"
	// youTubeDefaultQuota is the units a day one source may spend. The
	// Data API gives a project 10,000 a day for everything using its
	// key; every call made here costs 1 unit (commentThreads.list,
	// comments.list, videos.list). Half the project's quota leaves room
	// for other sources and tools on the same key. One brand channel
	// with 5 videos in the comment window, polled every 5 minutes, costs
	// about 288 x 5 = 1,440 units a day.
	youTubeDefaultQuota = 5000
	youTubeMaxQuota     = 10000
	// youTubeDefaultWindow: comments are read on videos published in the
	// last 14 days. Older videos still get comments, but few, and
	// re-reading them costs quota on every poll.
	youTubeDefaultWindow = 14 * 24 * time.Hour
	youTubeMaxWindow     = 90 * 24 * time.Hour
	// youTubeCommentPages caps the pages (100 threads each) read per
	// video and poll; paging stops earlier at the threads already seen.
	youTubeCommentPages = 3
	// youTubeReplyFetches caps, per poll, the threads whose replies are
	// read in full: a thread carries at most 5 replies inline, and a
	// brand reply beyond them would go unseen.
	youTubeReplyFetches = 20
	// youTubeIDsPerCall is the API's limit on ids per list call.
	youTubeIDsPerCall = 50
)

// YouTubeConfig is the "youtube:" section of a source.
type YouTubeConfig struct {
	// Channels are channel ids ("UC..." 24 characters) whose video feeds
	// are read.
	Channels []string `yaml:"channels"`
	// Playlists are playlist ids ("PL...", "UU...") whose feeds are read.
	Playlists []string `yaml:"playlists"`
	// APIKey, or the file named by APIKeyFile, is a YouTube Data API v3
	// key. With it, Pantau reads the comments on the brand's own videos
	// (its channels are brands[].accounts.youtube) and refreshes video
	// statistics.
	APIKey     secret.Secret `yaml:"api_key"`
	APIKeyFile string        `yaml:"api_key_file"`
	// DailyQuota is the Data API units a day this source may spend
	// (default 5000 of the project's 10,000; each call costs 1).
	DailyQuota int `yaml:"daily_quota"`
	// CommentWindow: comments are read on videos published this recently
	// (default 14 days, at most 90).
	CommentWindow time.Duration `yaml:"comment_window"`
	// FeedBase and APIBase replace https://www.youtube.com and
	// https://www.googleapis.com/youtube/v3, for the demo's and tests'
	// fakes. They must be https, or http on a loopback address.
	FeedBase string `yaml:"feed_base"`
	APIBase  string `yaml:"api_base"`
}

var (
	youTubeChannelPattern  = regexp.MustCompile(`^UC[A-Za-z0-9_-]{22}$`)
	youTubePlaylistPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{10,64}$`)
	youTubeVideoPattern    = regexp.MustCompile(`^[A-Za-z0-9_-]{11}$`)
	youTubeCommentPattern  = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,128}$`)
)

func (c *YouTubeConfig) validate(path string) []error {
	if c == nil {
		return []error{fieldErr(path, "required: a youtube source needs channels or playlists")}
	}
	var errs []error
	add := func(field, format string, args ...any) {
		errs = append(errs, fieldErr(path+"."+field, format, args...))
	}
	if len(c.Channels) == 0 && len(c.Playlists) == 0 {
		add("channels", "required (or playlists): the channel ids (UC...) whose videos to watch")
	}
	seen := map[string]string{}
	for i, ch := range c.Channels {
		p := fmt.Sprintf("channels[%d]", i)
		switch {
		case !youTubeChannelPattern.MatchString(ch):
			add(p, "%q is not a channel id (\"UC\" and 22 letters, digits, '-' or '_'; a @handle or a URL will not do)", truncateUTF8(ch, 60))
		case seen[ch] != "":
			add(p, "duplicate channel %q (also %s)", ch, seen[ch])
		default:
			seen[ch] = p
		}
	}
	for i, pl := range c.Playlists {
		p := fmt.Sprintf("playlists[%d]", i)
		switch {
		case !youTubePlaylistPattern.MatchString(pl):
			add(p, "%q is not a playlist id (like PLrAXtmErZgOeiKm4sgNOknGvNjby9efdf)", truncateUTF8(pl, 80))
		case seen[pl] != "":
			add(p, "duplicate playlist %q (also %s)", pl, seen[pl])
		default:
			seen[pl] = p
		}
	}
	if c.DailyQuota < 0 || c.DailyQuota > youTubeMaxQuota {
		add("daily_quota", "must be between 1 and %d (the Data API's daily quota per project), got %d", youTubeMaxQuota, c.DailyQuota)
	}
	if c.CommentWindow < 0 || c.CommentWindow > youTubeMaxWindow || (c.CommentWindow > 0 && c.CommentWindow < time.Hour) {
		add("comment_window", "must be between 1h and %s, got %s", youTubeMaxWindow, c.CommentWindow)
	}
	for _, b := range [][2]string{{"feed_base", c.FeedBase}, {"api_base", c.APIBase}} {
		if b[1] == "" {
			continue
		}
		if _, err := parseServiceBase(b[1], ""); err != nil {
			add(b[0], "%v", err)
		}
	}
	field := "api_key_file"
	if c.APIKey.IsSet() {
		field = "api_key"
	}
	key, err := secret.Resolve(c.APIKey, c.APIKeyFile)
	switch {
	case err != nil:
		add(field, "%v", err)
	case key.IsSet() && (len(key.Reveal()) > 256 || strings.ContainsFunc(key.Reveal(), func(r rune) bool { return r <= ' ' || r > '~' })):
		add(field, "not a Data API key (keys are one word of letters, digits, '-' and '_')")
	}
	return errs
}

// YouTube collects video feeds and, with an API key, comments.
type YouTube struct {
	name     string
	brand    string
	feeds    []youTubeFeed
	feedBase *url.URL
	apiBase  *url.URL
	apiKey   secret.Secret
	fetch    *Fetcher
	// brandChannels are the brand's own channel ids: their videos are
	// ByBrand, their comments are read, their replies answer comments.
	brandChannels map[string]bool
	// keywords filter other channels' videos; nil keeps all of them.
	keywords *keywordMatcher
	exclude  *keywordMatcher
	quota    int
	window   time.Duration
	pacific  *time.Location

	// spent tracks today's Data API units across Poll and Refresh;
	// Poll also persists it in the cursor, so a restart does not reset
	// the budget.
	mu    sync.Mutex
	day   string
	spent int
}

type youTubeFeed struct {
	label string // "channel UC..." or "playlist PL..."
	query url.Values
}

var (
	_ Collector = (*YouTube)(nil)
	_ Refresher = (*YouTube)(nil)
	_ Coverage  = (*YouTube)(nil)
)

// NewYouTube builds the collector for a "youtube" source. cfg should have
// passed Validate.
func NewYouTube(cfg SourceConfig, brand Brand, f *Fetcher) (Collector, error) {
	return newYouTube(cfg, brand, f)
}

func newYouTube(cfg SourceConfig, brand Brand, f *Fetcher) (*YouTube, error) {
	fail := func(format string, args ...any) (*YouTube, error) {
		return nil, fmt.Errorf("youtube source %q: %s", cfg.Name, fmt.Sprintf(format, args...))
	}
	if f == nil {
		return fail("nil Fetcher")
	}
	c := cfg.YouTube
	if errs := c.validate("youtube"); len(errs) > 0 {
		return fail("%v", errors.Join(errs...))
	}
	feedBase, err := parseServiceBase(c.FeedBase, youTubeFeedBase)
	if err != nil {
		return fail("feed_base: %v", err)
	}
	apiBase, err := parseServiceBase(c.APIBase, youTubeAPIBase)
	if err != nil {
		return fail("api_base: %v", err)
	}
	key, _ := secret.Resolve(c.APIKey, c.APIKeyFile)
	y := &YouTube{
		name:          cfg.Name,
		brand:         brand.Name,
		feedBase:      feedBase,
		apiBase:       apiBase,
		apiKey:        key,
		fetch:         f,
		brandChannels: map[string]bool{},
		exclude:       newKeywordMatcher(append(slices.Clone(cfg.Exclude), brand.Exclude...)),
		quota:         c.DailyQuota,
		window:        c.CommentWindow,
		pacific:       pacificTime(),
	}
	// A channel feed is about its channel by construction: keep all its
	// videos unless the source asks for keywords.
	if len(cfg.Keywords) > 0 {
		y.keywords = newKeywordMatcher(cfg.Keywords)
	}
	if y.quota == 0 {
		y.quota = youTubeDefaultQuota
	}
	if y.window == 0 {
		y.window = youTubeDefaultWindow
	}
	for _, ch := range c.Channels {
		y.feeds = append(y.feeds, youTubeFeed{label: "channel " + ch, query: url.Values{"channel_id": {ch}}})
	}
	for _, pl := range c.Playlists {
		y.feeds = append(y.feeds, youTubeFeed{label: "playlist " + pl, query: url.Values{"playlist_id": {pl}}})
	}
	for _, h := range brand.Accounts[KindYouTube] {
		if h = strings.TrimSpace(h); youTubeChannelPattern.MatchString(h) {
			y.brandChannels[h] = true
		}
	}
	return y, nil
}

// pacificTime is where the Data API's quota day starts (midnight Pacific).
// Without the time zone database, UTC-8 is off by an hour in summer only.
func pacificTime() *time.Location {
	if loc, err := time.LoadLocation("America/Los_Angeles"); err == nil {
		return loc
	}
	return time.FixedZone("PST", -8*3600)
}

func (y *YouTube) Name() string { return y.name }
func (y *YouTube) Kind() string { return KindYouTube }

// Coverage says what the source sees.
func (y *YouTube) Coverage() string {
	var b strings.Builder
	b.WriteString("YouTube videos from the public feeds (the newest 15 per channel or playlist), with views and likes")
	if y.keywords != nil {
		b.WriteString("; other channels' videos only when their title or description matches the keywords")
	}
	switch {
	case !y.apiKey.IsSet():
		b.WriteString(". Comments are not visible without a Data API key.")
	case len(y.brandChannels) == 0:
		b.WriteString(". Comments are not read: no brand channel is configured (brands[].accounts.youtube).")
	default:
		fmt.Fprintf(&b, ". Comments and replies on the brand's own videos of the last %s (Data API, up to %d units a day); comments on other channels' videos are not read.", formatDays(y.window), y.quota)
	}
	return b.String()
}

// youTubeCursor is the collector's cursor, stored as JSON.
type youTubeCursor struct {
	Feeds map[string]*youTubeFeedCursor `json:"feeds,omitempty"`
	// Videos holds, per brand video in the comment window, the newest
	// comment read (the high-water mark of its threads).
	Videos map[string]*youTubeVideoCursor `json:"videos,omitempty"`
	// QuotaDay (a Pacific date) and QuotaUsed are the Data API units
	// spent on that day.
	QuotaDay  string `json:"quota_day,omitempty"`
	QuotaUsed int    `json:"quota_used,omitempty"`
}

type youTubeFeedCursor struct {
	ETag         string `json:"etag,omitempty"`
	LastModified string `json:"last_modified,omitempty"`
}

type youTubeVideoCursor struct {
	Published     time.Time `json:"published"`
	NewestComment time.Time `json:"newest_comment,omitzero"`
}

func parseYouTubeCursor(s string) youTubeCursor {
	var c youTubeCursor
	if s != "" && json.Unmarshal([]byte(s), &c) != nil {
		c = youTubeCursor{}
	}
	if c.Feeds == nil {
		c.Feeds = map[string]*youTubeFeedCursor{}
	}
	if c.Videos == nil {
		c.Videos = map[string]*youTubeVideoCursor{}
	}
	return c
}

// youTubeVideo is one video read from a feed.
type youTubeVideo struct {
	m         store.Mention
	id        string
	channel   string
	published time.Time
	views     *int64
	likes     *int64
}

// spend takes n units from today's budget, reporting false when they are
// not there. The day rolls over at midnight Pacific time, as Google's does.
func (y *YouTube) spend(now time.Time, n int) bool {
	y.mu.Lock()
	defer y.mu.Unlock()
	y.rollDay(now)
	if y.spent+n > y.quota {
		return false
	}
	y.spent += n
	return true
}

// rollDay resets the count when the Pacific day changed. y.mu held.
func (y *YouTube) rollDay(now time.Time) {
	if d := now.In(y.pacific).Format(time.DateOnly); d != y.day {
		y.day, y.spent = d, 0
	}
}

// exhaust marks today's budget spent (Google said the quota is exceeded).
func (y *YouTube) exhaust(now time.Time) {
	y.mu.Lock()
	defer y.mu.Unlock()
	y.rollDay(now)
	y.spent = y.quota
}

func (y *YouTube) quotaState(now time.Time) (day string, used int) {
	y.mu.Lock()
	defer y.mu.Unlock()
	y.rollDay(now)
	return y.day, y.spent
}

// Poll reads every feed and, with a key, new comments on the brand's recent
// videos.
func (y *YouTube) Poll(ctx context.Context, cursor string) (store.Batch, error) {
	cur := parseYouTubeCursor(cursor)
	now := y.fetch.Now().UTC()
	y.mu.Lock()
	y.rollDay(now)
	if cur.QuotaDay == y.day && cur.QuotaUsed > y.spent {
		y.spent = cur.QuotaUsed // what an earlier process spent today
	}
	y.mu.Unlock()

	b := store.Batch{Source: y.name, Kind: KindYouTube, At: now}
	var (
		problems []error
		anyOK    bool
		videos   []youTubeVideo
		seen     = map[string]bool{}
		next     = youTubeCursor{Feeds: map[string]*youTubeFeedCursor{}, Videos: map[string]*youTubeVideoCursor{}}
	)
	for _, fd := range y.feeds {
		old := cur.Feeds[fd.label]
		if old == nil {
			old = &youTubeFeedCursor{}
		}
		next.Feeds[fd.label] = old
		got, nc, probs, err := y.readFeed(ctx, fd, *old, now)
		if ctxErr := ctx.Err(); ctxErr != nil {
			return store.Batch{}, fmt.Errorf("youtube source %q: %w", y.name, ctxErr)
		}
		problems = append(problems, probs...)
		if err != nil {
			problems = append(problems, err)
			continue
		}
		anyOK = true
		next.Feeds[fd.label] = &nc
		for _, v := range got {
			if !seen[v.m.NativeID] {
				seen[v.m.NativeID] = true
				videos = append(videos, v)
			}
		}
	}
	for _, v := range videos {
		if !y.keep(v) {
			continue
		}
		b.Mentions = append(b.Mentions, v.m)
		if v.views != nil || v.likes != nil {
			b.Samples = append(b.Samples, store.MentionSample{Key: store.MentionKey(KindYouTube, v.m.NativeID), Sample: store.Sample{At: now, Views: v.views, Likes: v.likes}})
		}
	}

	// Comments: on the brand's videos in the window, known from this
	// poll's feeds or from earlier polls (a 304 feed lists none).
	for id, vc := range cur.Videos {
		if now.Sub(vc.Published) <= y.window {
			next.Videos[id] = vc
		}
	}
	for _, v := range videos {
		if y.brandChannels[v.channel] && now.Sub(v.published) <= y.window {
			if _, ok := next.Videos[v.id]; !ok {
				next.Videos[v.id] = &youTubeVideoCursor{Published: v.published}
			}
		}
	}
	coverage := y.Coverage()
	if y.apiKey.IsSet() && len(y.brandChannels) > 0 {
		ids := make([]string, 0, len(next.Videos))
		for id := range next.Videos {
			ids = append(ids, id)
		}
		// Newest videos first: they get the comments, and the budget.
		slices.SortFunc(ids, func(a, b string) int {
			if c := next.Videos[b].Published.Compare(next.Videos[a].Published); c != 0 {
				return c
			}
			return strings.Compare(a, b)
		})
		fetches := youTubeReplyFetches
		for _, id := range ids {
			vc := *next.Videos[id]
			ms, ss, newest, probs, err := y.comments(ctx, id, vc.NewestComment, now, &fetches)
			if ctxErr := ctx.Err(); ctxErr != nil {
				return store.Batch{}, fmt.Errorf("youtube source %q: %w", y.name, ctxErr)
			}
			b.Mentions = append(b.Mentions, ms...)
			b.Samples = append(b.Samples, ss...)
			problems = append(problems, probs...)
			if errors.Is(err, errQuotaSpent) {
				coverage += " Today's comment budget is spent: comments resume after midnight Pacific time."
				break
			}
			if err != nil {
				problems = append(problems, err)
				if isRateLimited(err) {
					break
				}
				continue
			}
			anyOK = true
			vc.NewestComment = newest
			next.Videos[id] = &vc
		}
	}
	b.Coverage = coverage
	next.QuotaDay, next.QuotaUsed = y.quotaState(now)
	enc, err := json.Marshal(next)
	if err != nil {
		return store.Batch{}, fmt.Errorf("youtube source %q: encode cursor: %w", y.name, err)
	}
	s := string(enc)
	b.Cursor = &s
	return finishPoll(b, problems, anyOK)
}

// keep applies the keywords and exclusions to other channels' videos; the
// brand's own are always kept.
func (y *YouTube) keep(v youTubeVideo) bool {
	if y.brandChannels[v.channel] {
		return true
	}
	if y.exclude.match(v.m.Title, v.m.Text) != "" {
		return false
	}
	return y.keywords == nil || y.keywords.match(v.m.Title, v.m.Text) != ""
}

func (y *YouTube) feedURL(fd youTubeFeed) string {
	return y.feedBase.JoinPath("feeds", "videos.xml").String() + "?" + fd.query.Encode()
}

// readFeed fetches one feed (conditionally) and maps its entries.
func (y *YouTube) readFeed(ctx context.Context, fd youTubeFeed, old youTubeFeedCursor, now time.Time) ([]youTubeVideo, youTubeFeedCursor, []error, error) {
	resp, err := y.fetch.Get(ctx, Request{
		URL: y.feedURL(fd), ETag: old.ETag, LastModified: old.LastModified,
		Header: http.Header{"Accept": {"application/atom+xml, application/xml;q=0.9, */*;q=0.5"}},
	})
	if err != nil {
		return nil, old, nil, fmt.Errorf("%s feed: %w", fd.label, err)
	}
	if resp.NotModified {
		return nil, old, nil, nil
	}
	feed, err := parseFeed(resp.Body)
	if err != nil {
		return nil, old, nil, fmt.Errorf("%s feed: %w: %s", fd.label, ErrMalformedFeed, describeParseError(err, resp))
	}
	var (
		out      []youTubeVideo
		problems []error
	)
	for i, it := range feed.Items {
		if it == nil {
			continue
		}
		v, err := y.video(it, now)
		if err != nil {
			problems = append(problems, fmt.Errorf("%s feed entry %d: %w", fd.label, i+1, err))
			continue
		}
		out = append(out, v)
	}
	return out, youTubeFeedCursor{ETag: resp.ETag, LastModified: resp.LastModified}, problems, nil
}

// extChild returns the first extension element at path below exts
// ("group", "community", "statistics"), or nil.
func extChild(exts map[string][]ext.Extension, path ...string) *ext.Extension {
	for i, name := range path {
		list := exts[name]
		if len(list) == 0 {
			return nil
		}
		if i == len(path)-1 {
			return &list[0]
		}
		exts = list[0].Children
	}
	return nil
}

// video maps one feed entry. Links and ids are rebuilt from the video id,
// never taken from the feed, so a hostile feed cannot plant a link.
func (y *YouTube) video(it *gofeed.Item, now time.Time) (youTubeVideo, error) {
	var v youTubeVideo
	yt := it.Extensions["yt"]
	if e := extChild(yt, "videoId"); e != nil {
		v.id = strings.TrimSpace(e.Value)
	}
	if v.id == "" {
		v.id = strings.TrimPrefix(strings.TrimSpace(it.GUID), "yt:video:")
	}
	if !youTubeVideoPattern.MatchString(v.id) {
		return v, fmt.Errorf("video id %q is not a YouTube video id", truncateUTF8(cleanText(v.id), 40))
	}
	if e := extChild(yt, "channelId"); e != nil {
		v.channel = strings.TrimSpace(e.Value)
	}
	media := it.Extensions["media"]
	desc := it.Description
	if e := extChild(media, "group", "description"); e != nil && desc == "" {
		desc = e.Value
	}
	if e := extChild(media, "group", "community", "statistics"); e != nil {
		v.views = parseCount(e.Attrs["views"])
	}
	if e := extChild(media, "group", "community", "starRating"); e != nil {
		v.likes = parseCount(e.Attrs["count"])
	}
	created, _ := itemTime(it, now)
	v.published = created
	author := ""
	if len(it.Authors) > 0 && it.Authors[0] != nil {
		author = truncateUTF8(htmlToText(it.Authors[0].Name), maxAuthorBytes)
	}
	profile := ""
	if youTubeChannelPattern.MatchString(v.channel) {
		profile = "https://www.youtube.com/channel/" + v.channel
	} else {
		v.channel = ""
	}
	v.m = store.Mention{
		Kind:      KindYouTube,
		Source:    y.name,
		NativeID:  "yt:video:" + v.id,
		URL:       "https://www.youtube.com/watch?v=" + v.id,
		Brand:     y.brand,
		Author:    store.Author{Handle: author, DisplayName: author, ProfileURL: profile},
		Title:     truncateUTF8(htmlToText(it.Title), maxTitleBytes),
		Text:      truncateUTF8(cleanText(desc), maxTextBytes),
		CreatedAt: created,
		ByBrand:   y.brandChannels[v.channel],
	}
	return v, nil
}

// parseCount reads a non-negative count attribute; anything else is
// unknown (nil), not zero.
func parseCount(s string) *int64 {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || n < 0 {
		return nil
	}
	return &n
}

var errQuotaSpent = errors.New("the daily Data API budget is spent")

// ytComment is a Data API comment resource.
type ytComment struct {
	ID      string `json:"id"`
	Snippet struct {
		AuthorDisplayName string `json:"authorDisplayName"`
		AuthorChannelURL  string `json:"authorChannelUrl"`
		AuthorChannelID   struct {
			Value string `json:"value"`
		} `json:"authorChannelId"`
		VideoID     string `json:"videoId"`
		TextDisplay string `json:"textDisplay"`
		ParentID    string `json:"parentId"`
		LikeCount   int64  `json:"likeCount"`
		PublishedAt string `json:"publishedAt"`
	} `json:"snippet"`
}

// ytThread is a Data API commentThread resource.
type ytThread struct {
	ID      string `json:"id"`
	Snippet struct {
		VideoID         string    `json:"videoId"`
		TopLevelComment ytComment `json:"topLevelComment"`
		TotalReplyCount int64     `json:"totalReplyCount"`
	} `json:"snippet"`
	Replies struct {
		Comments []ytComment `json:"comments"`
	} `json:"replies"`
}

// ytList is a Data API list response; items stay raw so one bad item is
// skipped, not the page.
type ytList struct {
	Items         []json.RawMessage `json:"items"`
	NextPageToken string            `json:"nextPageToken"`
}

// apiGet calls the Data API, spending one unit. The key travels in the
// query, which the fetch layer redacts from every error.
func (y *YouTube) apiGet(ctx context.Context, method string, q url.Values, now time.Time) (*ytList, error) {
	if !y.spend(now, 1) {
		return nil, errQuotaSpent
	}
	q.Set("key", y.apiKey.Reveal())
	resp, err := y.fetch.Get(ctx, Request{URL: y.apiBase.JoinPath(method).String() + "?" + q.Encode(), Header: http.Header{"Accept": {"application/json"}}})
	if err != nil {
		var se *StatusError
		if errors.As(err, &se) && se.Code == http.StatusForbidden && (strings.Contains(se.Body, "quotaExceeded") || strings.Contains(se.Body, "dailyLimitExceeded")) {
			y.exhaust(now)
			return nil, errQuotaSpent
		}
		return nil, fmt.Errorf("Data API %s: %w", method, err)
	}
	var l ytList
	if err := json.Unmarshal(resp.Body, &l); err != nil {
		return nil, fmt.Errorf("Data API %s: not a list response: %s", method, jsonProblem(err))
	}
	return &l, nil
}

// comments reads one video's newest comment threads down to the high-water
// mark and returns them as mentions with their samples and the new mark.
// fetches is the poll's remaining allowance of full reply reads.
func (y *YouTube) comments(ctx context.Context, videoID string, high, now time.Time, fetches *int) ([]store.Mention, []store.MentionSample, time.Time, []error, error) {
	var (
		mentions []store.Mention
		samples  []store.MentionSample
		problems []error
		newest   = high
		token    string
	)
	for page := 1; page <= youTubeCommentPages; page++ {
		q := url.Values{"part": {"snippet,replies"}, "videoId": {videoID}, "order": {"time"}, "maxResults": {"100"}, "textFormat": {"plainText"}}
		if token != "" {
			q.Set("pageToken", token)
		}
		l, err := y.apiGet(ctx, "commentThreads", q, now)
		if err != nil {
			if page > 1 && errors.Is(err, errQuotaSpent) {
				// Keep what was read; the mark stays so the rest is
				// read tomorrow.
				return mentions, samples, high, problems, err
			}
			return mentions, samples, high, problems, fmt.Errorf("video %s comments: %w", videoID, err)
		}
		reached := len(l.Items) == 0
		for i, raw := range l.Items {
			var th ytThread
			if err := json.Unmarshal(raw, &th); err != nil {
				problems = append(problems, fmt.Errorf("video %s comment thread %d: not a commentThread: %s", videoID, i+1, jsonProblem(err)))
				continue
			}
			ms, ss, at, err := y.thread(ctx, th, videoID, now, fetches)
			if err != nil {
				problems = append(problems, fmt.Errorf("video %s comment thread %d: %w", videoID, i+1, err))
				continue
			}
			mentions = append(mentions, ms...)
			samples = append(samples, ss...)
			if at.After(newest) {
				newest = at
			}
			if !high.IsZero() && !at.After(high) {
				reached = true
			}
		}
		token = l.NextPageToken
		if reached || token == "" || len(token) > 1024 {
			break
		}
	}
	return mentions, samples, newest, problems, nil
}

// thread maps one comment thread: the top-level comment (a reply to the
// video) and its replies (replies to the comment; the brand's answer it).
// When the thread has more replies than came inline, they are read in full
// so a brand reply among them is not missed.
func (y *YouTube) thread(ctx context.Context, th ytThread, videoID string, now time.Time, fetches *int) ([]store.Mention, []store.MentionSample, time.Time, error) {
	videoKey := store.MentionKey(KindYouTube, "yt:video:"+videoID)
	top, err := y.comment(th.Snippet.TopLevelComment, videoID, videoKey, videoKey, now)
	if err != nil {
		return nil, nil, time.Time{}, err
	}
	replies := th.Replies.Comments
	if int64(len(replies)) < th.Snippet.TotalReplyCount && *fetches > 0 {
		*fetches--
		l, err := y.apiGet(ctx, "comments", url.Values{"part": {"snippet"}, "parentId": {top.NativeID}, "maxResults": {"100"}, "textFormat": {"plainText"}}, now)
		if err == nil {
			replies = nil
			for _, raw := range l.Items {
				var c ytComment
				if json.Unmarshal(raw, &c) == nil {
					replies = append(replies, c)
				}
			}
		}
		// On error the inline replies still count; the thread is read
		// again on the next poll that reaches it.
	}
	topKey := store.MentionKey(KindYouTube, top.NativeID)
	out := []store.Mention{top}
	likes := th.Snippet.TopLevelComment.Snippet.LikeCount
	replyCount := th.Snippet.TotalReplyCount
	samples := []store.MentionSample{{Key: topKey, Sample: store.Sample{At: now, Likes: nonNeg(likes), Replies: nonNeg(replyCount)}}}
	for _, rc := range replies {
		m, err := y.comment(rc, videoID, topKey, videoKey, now)
		if err != nil {
			continue // one bad reply does not cost the thread
		}
		out = append(out, m)
		samples = append(samples, store.MentionSample{Key: store.MentionKey(KindYouTube, m.NativeID), Sample: store.Sample{At: now, Likes: nonNeg(rc.Snippet.LikeCount)}})
	}
	return out, samples, top.CreatedAt, nil
}

func nonNeg(n int64) *int64 {
	if n < 0 {
		return nil
	}
	return &n
}

// comment maps one comment, a reply to replyTo.
func (y *YouTube) comment(c ytComment, videoID, replyTo, root string, now time.Time) (store.Mention, error) {
	id := strings.TrimSpace(c.ID)
	if !youTubeCommentPattern.MatchString(id) {
		return store.Mention{}, fmt.Errorf("comment id %q is not a YouTube comment id", truncateUTF8(cleanText(id), 40))
	}
	at, err := time.Parse(time.RFC3339, c.Snippet.PublishedAt)
	if err != nil {
		return store.Mention{}, fmt.Errorf("comment %s: publishedAt %q is not a date", id, truncateUTF8(cleanText(c.Snippet.PublishedAt), 40))
	}
	if at.After(now.Add(maxFutureSkew)) {
		at = now
	}
	author := truncateUTF8(cleanText(c.Snippet.AuthorDisplayName), maxAuthorBytes)
	channel := strings.TrimSpace(c.Snippet.AuthorChannelID.Value)
	profile := ""
	if youTubeChannelPattern.MatchString(channel) {
		profile = "https://www.youtube.com/channel/" + channel
	}
	return store.Mention{
		Kind:     KindYouTube,
		Source:   y.name,
		NativeID: id,
		// lc= opens the video with the comment highlighted.
		URL:        "https://www.youtube.com/watch?" + url.Values{"v": {videoID}, "lc": {id}}.Encode(),
		Brand:      y.brand,
		Author:     store.Author{Handle: author, DisplayName: author, ProfileURL: profile},
		Text:       truncateUTF8(cleanText(c.Snippet.TextDisplay), maxTextBytes),
		CreatedAt:  at.UTC(),
		ReplyTo:    replyTo,
		ThreadRoot: root,
		ByBrand:    y.brandChannels[channel],
	}, nil
}

// Refresh re-reads the given mentions: video statistics (videos.list with a
// key, else the feeds) and comment threads (likes, and replies that
// arrived since, the brand's included).
func (y *YouTube) Refresh(ctx context.Context, mentions []store.Mention) (store.Batch, error) {
	now := y.fetch.Now().UTC()
	b := store.Batch{Source: y.name, Kind: KindYouTube, At: now}
	var (
		videoIDs, threadIDs []string
		threadVideo         = map[string]string{}
		problems            []error
		anyOK               bool
	)
	for _, m := range mentions {
		if m.Kind != KindYouTube {
			continue
		}
		if id, ok := strings.CutPrefix(m.NativeID, "yt:video:"); ok {
			if youTubeVideoPattern.MatchString(id) {
				videoIDs = append(videoIDs, id)
			}
			continue
		}
		// Top-level comments only: a reply's id is "thread.reply".
		if youTubeCommentPattern.MatchString(m.NativeID) && !strings.Contains(m.NativeID, ".") && m.ReplyTo != "" {
			threadIDs = append(threadIDs, m.NativeID)
			threadVideo[m.NativeID] = strings.TrimPrefix(m.ReplyTo, KindYouTube+":yt:video:")
		}
	}
	if len(videoIDs) > 0 {
		ss, err := y.refreshVideos(ctx, videoIDs, now)
		b.Samples = append(b.Samples, ss...)
		if err != nil {
			problems = append(problems, err)
		} else {
			anyOK = true
		}
	}
	fetches := youTubeReplyFetches
	for chunk := range slices.Chunk(threadIDs, youTubeIDsPerCall) {
		if !y.apiKey.IsSet() {
			break
		}
		l, err := y.apiGet(ctx, "commentThreads", url.Values{"part": {"snippet,replies"}, "id": {strings.Join(chunk, ",")}, "textFormat": {"plainText"}}, now)
		if err != nil {
			problems = append(problems, fmt.Errorf("comment threads: %w", err))
			break
		}
		anyOK = true
		for i, raw := range l.Items {
			var th ytThread
			if err := json.Unmarshal(raw, &th); err != nil {
				problems = append(problems, fmt.Errorf("comment thread %d: not a commentThread: %s", i+1, jsonProblem(err)))
				continue
			}
			vid := th.Snippet.VideoID
			if !youTubeVideoPattern.MatchString(vid) {
				vid = threadVideo[th.Snippet.TopLevelComment.ID]
			}
			ms, ss, _, err := y.thread(ctx, th, vid, now, &fetches)
			if err != nil {
				problems = append(problems, err)
				continue
			}
			// The thread's own comment is stored already; replies new
			// since are what matter.
			b.Mentions = append(b.Mentions, ms[1:]...)
			b.Samples = append(b.Samples, ss...)
		}
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		return store.Batch{}, fmt.Errorf("youtube source %q: %w", y.name, ctxErr)
	}
	if len(videoIDs) == 0 && len(threadIDs) == 0 {
		return b, nil
	}
	return finishPoll(b, problems, anyOK)
}

// refreshVideos samples views, likes and comment counts: from videos.list
// with a key (one unit per 50 videos), else from the feeds.
func (y *YouTube) refreshVideos(ctx context.Context, ids []string, now time.Time) ([]store.MentionSample, error) {
	var out []store.MentionSample
	if !y.apiKey.IsSet() {
		want := map[string]bool{}
		for _, id := range ids {
			want[id] = true
		}
		var errs []error
		for _, fd := range y.feeds {
			got, _, _, err := y.readFeed(ctx, fd, youTubeFeedCursor{}, now)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			for _, v := range got {
				if want[v.id] && (v.views != nil || v.likes != nil) {
					delete(want, v.id)
					out = append(out, store.MentionSample{Key: store.MentionKey(KindYouTube, v.m.NativeID), Sample: store.Sample{At: now, Views: v.views, Likes: v.likes}})
				}
			}
		}
		return out, errors.Join(errs...)
	}
	for chunk := range slices.Chunk(ids, youTubeIDsPerCall) {
		l, err := y.apiGet(ctx, "videos", url.Values{"part": {"statistics"}, "id": {strings.Join(chunk, ",")}}, now)
		if err != nil {
			return out, fmt.Errorf("video statistics: %w", err)
		}
		for _, raw := range l.Items {
			var v struct {
				ID         string `json:"id"`
				Statistics struct {
					ViewCount    string `json:"viewCount"`
					LikeCount    string `json:"likeCount"`
					CommentCount string `json:"commentCount"`
				} `json:"statistics"`
			}
			if json.Unmarshal(raw, &v) != nil || !youTubeVideoPattern.MatchString(v.ID) {
				continue
			}
			// Counts come as strings; a hidden count is absent (nil).
			out = append(out, store.MentionSample{Key: store.MentionKey(KindYouTube, "yt:video:"+v.ID), Sample: store.Sample{
				At: now, Views: parseCount(v.Statistics.ViewCount), Likes: parseCount(v.Statistics.LikeCount), Replies: parseCount(v.Statistics.CommentCount),
			}})
		}
	}
	return out, nil
}
