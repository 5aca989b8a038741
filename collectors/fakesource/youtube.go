package fakesource

import (
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// This file fakes YouTube: the public channel/playlist Atom feed (the 15
// newest videos, yt: and media: elements with views and likes) and the
// Data API v3's commentThreads, comments and videos lists, with API-key
// checks and a unit quota.

// YouTubeVideo is one scripted video.
type YouTubeVideo struct {
	ID          string // 11 characters
	ChannelID   string
	ChannelName string
	Title       string
	Description string
	Views       int
	Likes       int
	// Published is when it was published; zero means when released.
	Published time.Time
	// At is when it appears, relative to the server's start.
	At time.Duration
}

// YouTubeComment is one scripted comment: top-level when ParentID is
// empty, else a reply to the thread ParentID (whose id it should extend:
// "PARENT.xyz", as YouTube's do).
type YouTubeComment struct {
	ID              string
	VideoID         string
	ParentID        string
	Author          string
	AuthorChannelID string
	Text            string
	Likes           int
	Published       time.Time
	At              time.Duration
}

// YouTubeServer is a fake www.youtube.com feeds + Data API v3.
type YouTubeServer struct {
	// APIKey is the key the Data API accepts.
	APIKey string
	// InlineReplies is how many replies a commentThread carries inline
	// (YouTube: up to 5).
	InlineReplies int
	// Quota is the units a day the API allows (0: unlimited); every call
	// costs 1.
	Quota int

	now   func() time.Time
	start time.Time
	scriptedFaults

	mu       sync.Mutex
	videos   []YouTubeVideo
	comments []YouTubeComment
	units    int
	served   map[string]int
}

// NewYouTube returns a fake whose script starts now.
func NewYouTube(apiKey string, now func() time.Time) *YouTubeServer {
	return &YouTubeServer{APIKey: apiKey, InlineReplies: 5, now: now, start: now(), served: map[string]int{}}
}

// AddVideos scripts videos.
func (s *YouTubeServer) AddVideos(v ...YouTubeVideo) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.videos = append(s.videos, v...)
}

// AddComments scripts comments.
func (s *YouTubeServer) AddComments(c ...YouTubeComment) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.comments = append(s.comments, c...)
}

// Units is how many Data API units were spent.
func (s *YouTubeServer) Units() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.units
}

// Served returns the ids of the videos and comments served at least once.
func (s *YouTubeServer) Served() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return servedIDs(s.served)
}

func (s *YouTubeServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.scriptedFaults.serve(w, r) {
		return
	}
	if r.Method != http.MethodGet {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	switch r.URL.Path {
	case "/feeds/videos.xml":
		s.serveFeed(w, r)
	case "/youtube/v3/commentThreads", "/youtube/v3/comments", "/youtube/v3/videos":
		s.serveAPI(w, r, strings.TrimPrefix(r.URL.Path, "/youtube/v3/"))
	default:
		http.NotFound(w, r)
	}
}

// releasedVideos returns the videos out now, newest first. s.mu held.
func (s *YouTubeServer) releasedVideos() []YouTubeVideo {
	elapsed := s.now().Sub(s.start)
	var out []YouTubeVideo
	for _, v := range s.videos {
		if v.At <= elapsed {
			if v.Published.IsZero() {
				v.Published = s.start.Add(v.At)
			}
			out = append(out, v)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Published.After(out[j].Published) })
	return out
}

// releasedComments returns the comments out now, newest first. s.mu held.
func (s *YouTubeServer) releasedComments() []YouTubeComment {
	elapsed := s.now().Sub(s.start)
	var out []YouTubeComment
	for _, c := range s.comments {
		if c.At <= elapsed {
			if c.Published.IsZero() {
				c.Published = s.start.Add(c.At)
			}
			out = append(out, c)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Published.After(out[j].Published) })
	return out
}

// serveFeed answers /feeds/videos.xml?channel_id= (or playlist_id=UU...,
// the channel's uploads).
func (s *YouTubeServer) serveFeed(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	channel := q.Get("channel_id")
	if pl := q.Get("playlist_id"); channel == "" && strings.HasPrefix(pl, "UU") {
		channel = "UC" + pl[2:]
	}
	s.mu.Lock()
	var vids []YouTubeVideo
	for _, v := range s.releasedVideos() {
		if v.ChannelID == channel {
			vids = append(vids, v)
		}
	}
	if len(vids) > 15 {
		vids = vids[:15]
	}
	for _, v := range vids {
		s.served[v.ID]++
	}
	s.mu.Unlock()
	if channel == "" || len(vids) == 0 {
		// YouTube answers 404 for an unknown channel.
		http.NotFound(w, r)
		return
	}
	name := vids[0].ChannelName
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	b.WriteString(`<feed xmlns:yt="http://www.youtube.com/xml/schemas/2015" xmlns:media="http://search.yahoo.com/mrss/" xmlns="http://www.w3.org/2005/Atom">` + "\n")
	fmt.Fprintf(&b, " <link rel=\"self\" href=\"http://www.youtube.com/feeds/videos.xml?channel_id=%s\"/>\n <id>yt:channel:%s</id>\n <yt:channelId>%s</yt:channelId>\n <title>%s</title>\n",
		xmlEsc(channel), xmlEsc(strings.TrimPrefix(channel, "UC")), xmlEsc(strings.TrimPrefix(channel, "UC")), xmlEsc(name))
	fmt.Fprintf(&b, " <link rel=\"alternate\" href=\"https://www.youtube.com/channel/%s\"/>\n <author>\n  <name>%s</name>\n  <uri>https://www.youtube.com/channel/%s</uri>\n </author>\n <published>2019-01-01T00:00:00+00:00</published>\n",
		xmlEsc(channel), xmlEsc(name), xmlEsc(channel))
	for _, v := range vids {
		fmt.Fprintf(&b, ` <entry>
  <id>yt:video:%[1]s</id>
  <yt:videoId>%[1]s</yt:videoId>
  <yt:channelId>%[2]s</yt:channelId>
  <title>%[3]s</title>
  <link rel="alternate" href="https://www.youtube.com/watch?v=%[1]s"/>
  <author>
   <name>%[4]s</name>
   <uri>https://www.youtube.com/channel/%[2]s</uri>
  </author>
  <published>%[5]s</published>
  <updated>%[6]s</updated>
  <media:group>
   <media:title>%[3]s</media:title>
   <media:content url="https://www.youtube.com/v/%[1]s?version=3" type="application/x-shockwave-flash" width="640" height="390"/>
   <media:thumbnail url="https://i1.ytimg.com/vi/%[1]s/hqdefault.jpg" width="480" height="360"/>
   <media:description>%[7]s</media:description>
   <media:community>
    <media:starRating count="%[8]d" average="5.00" min="1" max="5"/>
    <media:statistics views="%[9]d"/>
   </media:community>
  </media:group>
 </entry>
`, xmlEsc(v.ID), xmlEsc(v.ChannelID), xmlEsc(v.Title), xmlEsc(v.ChannelName), v.Published.UTC().Format("2006-01-02T15:04:05+00:00"),
			s.now().UTC().Format("2006-01-02T15:04:05+00:00"), xmlEsc(v.Description), v.Likes, v.Views)
	}
	b.WriteString("</feed>\n")
	w.Header().Set("Content-Type", "text/xml; charset=UTF-8")
	w.Write([]byte(b.String()))
}

func youTubeAPIError(w http.ResponseWriter, code int, reason, domain, msg string) {
	fakeJSON(w, code, map[string]any{"error": map[string]any{
		"code": code, "message": msg,
		"errors": []map[string]string{{"message": msg, "domain": domain, "reason": reason}},
	}})
}

// serveAPI answers the Data API lists.
func (s *YouTubeServer) serveAPI(w http.ResponseWriter, r *http.Request, method string) {
	q := r.URL.Query()
	if q.Get("key") == "" || q.Get("key") != s.APIKey {
		youTubeAPIError(w, http.StatusBadRequest, "badRequest", "usageLimits", "API key not valid. Please pass a valid API key.")
		return
	}
	s.mu.Lock()
	if s.Quota > 0 && s.units >= s.Quota {
		s.mu.Unlock()
		youTubeAPIError(w, http.StatusForbidden, "quotaExceeded", "youtube.quota", "The request cannot be completed because you have exceeded your <a href=\"/youtube/v3/getting-started#quota\">quota</a>.")
		return
	}
	s.units++
	comments := s.releasedComments()
	videos := s.releasedVideos()
	s.mu.Unlock()

	var items []any
	next := ""
	switch method {
	case "videos":
		ids := strings.Split(q.Get("id"), ",")
		for _, v := range videos {
			if slices.Contains(ids, v.ID) {
				items = append(items, map[string]any{"kind": "youtube#video", "etag": "e-" + v.ID, "id": v.ID, "statistics": map[string]string{
					"viewCount": strconv.Itoa(v.Views), "likeCount": strconv.Itoa(v.Likes), "favoriteCount": "0", "commentCount": strconv.Itoa(ytCountTop(comments, v.ID)),
				}})
			}
		}
	case "commentThreads":
		var tops []YouTubeComment
		ids := q.Get("id")
		for _, c := range comments {
			switch {
			case c.ParentID != "":
			case ids != "" && slices.Contains(strings.Split(ids, ","), c.ID):
				tops = append(tops, c)
			case ids == "" && c.VideoID == q.Get("videoId"):
				tops = append(tops, c)
			}
		}
		limit, _ := strconv.Atoi(q.Get("maxResults"))
		if limit <= 0 || limit > 100 {
			limit = 20
		}
		offset, _ := strconv.Atoi(strings.TrimPrefix(q.Get("pageToken"), "t"))
		lo, hi := min(offset, len(tops)), min(offset+limit, len(tops))
		if hi < len(tops) && ids == "" {
			next = "t" + strconv.Itoa(hi)
		}
		for _, c := range tops[lo:hi] {
			replies := ytRepliesOf(comments, c.ID)
			th := map[string]any{"kind": "youtube#commentThread", "etag": "e-" + c.ID, "id": c.ID, "snippet": map[string]any{
				"channelId": "", "videoId": c.VideoID, "topLevelComment": s.commentJSON(c),
				"canReply": true, "totalReplyCount": len(replies), "isPublic": true,
			}}
			if len(replies) > 0 && strings.Contains(q.Get("part"), "replies") {
				var inline []any
				for _, rc := range replies[:min(len(replies), s.InlineReplies)] {
					inline = append(inline, s.commentJSON(rc))
				}
				th["replies"] = map[string]any{"comments": inline}
			}
			items = append(items, th)
		}
	case "comments":
		for _, rc := range ytRepliesOf(comments, q.Get("parentId")) {
			items = append(items, s.commentJSON(rc))
		}
	}
	if items == nil {
		items = []any{}
	}
	doc := map[string]any{"kind": "youtube#" + strings.TrimSuffix(method, "s") + "ListResponse", "etag": "list", "items": items,
		"pageInfo": map[string]int{"totalResults": len(items), "resultsPerPage": len(items)}}
	if next != "" {
		doc["nextPageToken"] = next
	}
	fakeJSON(w, http.StatusOK, doc)
}

// ytRepliesOf returns a thread's replies, oldest first.
func ytRepliesOf(comments []YouTubeComment, parent string) []YouTubeComment {
	var out []YouTubeComment
	for _, c := range comments {
		if c.ParentID == parent && parent != "" {
			out = append(out, c)
		}
	}
	slices.Reverse(out)
	return out
}

func ytCountTop(comments []YouTubeComment, video string) int {
	n := 0
	for _, c := range comments {
		if c.VideoID == video {
			n++
		}
	}
	return n
}

func (s *YouTubeServer) commentJSON(c YouTubeComment) map[string]any {
	s.mu.Lock()
	s.served[c.ID]++
	s.mu.Unlock()
	snip := map[string]any{
		"authorDisplayName": c.Author, "authorProfileImageUrl": "https://yt3.ggpht.example/a/" + c.AuthorChannelID,
		"authorChannelUrl": "http://www.youtube.com/channel/" + c.AuthorChannelID, "authorChannelId": map[string]string{"value": c.AuthorChannelID},
		"channelId": "", "videoId": c.VideoID, "textDisplay": c.Text, "textOriginal": c.Text, "canRate": true, "viewerRating": "none",
		"likeCount": c.Likes, "publishedAt": c.Published.UTC().Format(time.RFC3339), "updatedAt": c.Published.UTC().Format(time.RFC3339),
	}
	if c.ParentID != "" {
		snip["parentId"] = c.ParentID
	}
	return map[string]any{"kind": "youtube#comment", "etag": "e-" + c.ID, "id": c.ID, "snippet": snip}
}

// The YouTube demo's channels and key.
const (
	DemoYouTubeChannel = "UCkilatexpress0000000000" // the brand's own channel
	DemoYouTubeCreator = "UCreviewkurir00000000000" // a creator who reviews couriers
	DemoYouTubeAPIKey  = "AIzaSyDemoKeyForPantauFakeYouTube00"
)

// YouTubeDemo scripts Kilat Express's channel: a tutorial video whose
// comments hold an Indonesian complaint the brand answers, an English one
// nobody answers and praise; a new video later; and a creator's review of
// the brand. The Data API accepts DemoYouTubeAPIKey.
func YouTubeDemo(now func() time.Time) *YouTubeServer {
	start := now()
	sec := func(n int) time.Duration { return time.Duration(n) * time.Second }
	s := NewYouTube(DemoYouTubeAPIKey, now)
	s.AddVideos(
		YouTubeVideo{ID: "kilatVid001", ChannelID: DemoYouTubeChannel, ChannelName: "Kilat Express", Views: 15230, Likes: 312,
			Title:       "Cara lacak paket di aplikasi Kilat Express",
			Description: "Panduan lengkap melacak paket, mengubah jadwal antar, dan klaim COD di aplikasi Kilat Express.", Published: start.Add(-3 * 24 * time.Hour)},
		YouTubeVideo{ID: "reviewVid01", ChannelID: DemoYouTubeCreator, ChannelName: "Review Kurir", Views: 48100, Likes: 1900,
			Title:       "Review jujur: Kilat Express vs kurir lain, mana paling cepat?",
			Description: "Kami kirim 20 paket lewat 4 kurir. Kilat Express paling cepat, tapi 2 paket rusak.", Published: start.Add(-2 * 24 * time.Hour)},
		YouTubeVideo{ID: "kilatVid002", ChannelID: DemoYouTubeChannel, ChannelName: "Kilat Express", Views: 120, Likes: 9, At: sec(12),
			Title: "Promo Harbolnas Kilat Express: ongkir Rp0", Description: "Gratis ongkir untuk 1.000 pengiriman pertama setiap hari selama Harbolnas."},
	)
	s.AddComments(
		YouTubeComment{ID: "UgxKilatC0001", VideoID: "kilatVid001", Author: "@nadia.s", AuthorChannelID: "UCnadia000000000000000aa", Likes: 4,
			Text: "Tutorialnya jelas, makasih min!", Published: start.Add(-2 * 24 * time.Hour)},
		YouTubeComment{ID: "UgxKilatC0002", VideoID: "kilatVid001", Author: "@rina_s", AuthorChannelID: "UCrina0000000000000000aa", Likes: 23, At: sec(3),
			Text: "Min, paket COD saya udh 5 hari gak gerak statusnya, resi KLT123. Tolong dicek dong, kecewa bgt"},
		YouTubeComment{ID: "UgxKilatC0002.AbCdEf01", ParentID: "UgxKilatC0002", VideoID: "kilatVid001", Author: "@budi_92", AuthorChannelID: "UCbudi0000000000000000aa", Likes: 2, At: sec(6),
			Text: "Sama kak, punyaku juga nyangkut di gudang"},
		YouTubeComment{ID: "UgxKilatC0002.AbCdEf02", ParentID: "UgxKilatC0002", VideoID: "kilatVid001", Author: "Kilat Express", AuthorChannelID: DemoYouTubeChannel, Likes: 5, At: sec(15),
			Text: "Halo Kak Rina, mohon maaf ya. Mohon kirim nomor resi lewat DM Instagram @kilatexpress supaya tim kami lacak hari ini."},
		YouTubeComment{ID: "UgxKilatC0003", VideoID: "kilatVid001", Author: "@jmarsh", AuthorChannelID: "UCjmarsh00000000000000aa", Likes: 11, At: sec(8),
			Text: "Following this tutorial, my parcel still shows 'in transit' for a week. Nobody answers the hotline. Worst courier."},
		YouTubeComment{ID: "UgxKilatC0004", VideoID: "kilatVid002", Author: "@putra", AuthorChannelID: "UCputra00000000000000aaa", At: sec(18),
			Text: "Promo terus tapi kurirnya telat mulu"},
	)
	return s
}
