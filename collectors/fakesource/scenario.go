package fakesource

import (
	"fmt"
	"html"
	"time"
)

// The demo's brand: Kilat Express, an Indonesian courier. Its customers
// write in Indonesian, English and both at once.
const (
	DemoBrand        = "kilat"
	DemoBrandAccount = "Kilat Express Care"
)

// DemoTerms are the search terms the demo watches for.
var DemoTerms = []string{"kilat express", "kilatexpress"}

// DemoFeeds are the paths the demo scenario serves, with their formats.
var DemoFeeds = map[string]Format{
	"/social/kilatexpress.atom":     Atom,
	"/news/rss":                     RSS,
	"/forum/latest.json":            JSONFeed,
	"/id/rss/customerreviews/id=1/": AppStore,
	"/alerts/kilat-express.atom":    GoogleAlerts,
}

// Demo builds the scripted scenario: a quiet start with a backlog, a
// complaint the brand answers well, one nobody answers (already past its
// one-hour target), one that escalates from a question to a threat to go to
// the regulator, reviews, news, a post in a language Pantau does not score,
// and hostile markup. After the script it keeps posting now and then, so the
// feed stays alive. now is the clock the feeds run on.
func Demo(now func() time.Time) map[string]*Feed {
	start := now()
	ago := func(d time.Duration) time.Time { return start.Add(-d) }
	sec := func(n int) time.Duration { return time.Duration(n) * time.Second }
	social := []Item{
		{ID: "tag:social.example,2026:ghosted-1", Author: "dewi_anggraini", Lang: "id", Published: ago(2*time.Hour + 13*time.Minute),
			Text: "@kilatexpress paket saya udh 5 hari blm nyampe, resi status gak gerak sama sekali. kecewa bgt min, tolong dibales",
			Link: "https://social.example/@dewi_anggraini/1"},
		{ID: "tag:social.example,2026:praise-1", Author: "arif.h", Lang: "en", Published: ago(40 * time.Minute),
			Text: "Shoutout to Kilat Express, my parcel arrived a day early and the courier was super friendly!",
			Link: "https://social.example/@arif.h/2"},
		{ID: "tag:social.example,2026:lost-1", Author: "jmarsh", Lang: "en", At: sec(3),
			Text: "Kilat Express lost my package and support keeps sending me the same canned reply. Worst courier ever.",
			Link: "https://social.example/@jmarsh/3"},
		{ID: "tag:social.example,2026:reply-1", Author: DemoBrandAccount, Lang: "en", At: sec(7), ReplyTo: "tag:social.example,2026:lost-1",
			Text: "We're so sorry, we understand how frustrating this is. Please DM us your tracking number and we'll trace it today. ^RN",
			Link: "https://social.example/@kilatcare/4"},
		{ID: "tag:social.example,2026:escalate-1", Author: "rina_s", Lang: "id", At: sec(5),
			Text: "@kilatexpress paket COD saya hilang, udah 3 hari gak ada kabar",
			Link: "https://social.example/@rina_s/5"},
		{ID: "tag:social.example,2026:escalate-2", Author: "rina_s", Lang: "id", At: sec(11), ReplyTo: "tag:social.example,2026:escalate-1",
			Text: "Min @kilatexpress?? masih belum ada jawaban. kok gak dibales sih",
			Link: "https://social.example/@rina_s/6"},
		{ID: "tag:social.example,2026:escalate-3", Author: "budi_92", Lang: "id", At: sec(15), ReplyTo: "tag:social.example,2026:escalate-1",
			Text: "Sama, paket aku juga hilang di Kilat Express 😡😡 parah bgt",
			Link: "https://social.example/@budi_92/7"},
		{ID: "tag:social.example,2026:escalate-4", Author: "rina_s", Lang: "id", At: sec(19), ReplyTo: "tag:social.example,2026:escalate-1",
			Text: "Ternyata banyak yang paketnya hilang di Kilat Express. Ini penipuan!!! Saya lapor YLKI dan spill biar VIRAL",
			Link: "https://social.example/@rina_s/8"},
		{ID: "tag:social.example,2026:french-1", Author: "claire", Lang: "fr", At: sec(13),
			Text: "Kilat Express a livré mon colis à Bali en deux jours, merci beaucoup !",
			Link: "https://social.example/@claire/9"},
		{ID: "tag:social.example,2026:question-1", Author: "yoga", Lang: "id", At: sec(17),
			Text: "Kilat Express buka jam berapa ya hari Minggu?",
			Link: "https://social.example/@yoga/10"},
		{ID: "tag:social.example,2026:hostile-1", Author: `<img src=x onerror="alert('pwned')">`, At: sec(21),
			// Content is HTML, so a post that literally contains markup
			// arrives entity-escaped, exactly as platforms send it.
			Text: html.EscapeString(`Kilat Express promo? <img src=x onerror="alert('pwned')"> <script>alert(1)</script>`),
			Link: "javascript:alert(1)"},
	}
	news := []Item{
		{ID: "https://news.example/2026/11/kilat-harbolnas", Author: "Redaksi", Lang: "id", Published: ago(3 * time.Hour),
			Title: "Kilat Express tambah armada jelang Harbolnas",
			Text:  "<p>Kilat Express menambah 300 armada untuk mengantisipasi lonjakan paket jelang Harbolnas.</p>",
			Link:  "https://news.example/2026/11/kilat-harbolnas"},
		{ID: "https://news.example/2026/11/unrelated", Author: "Redaksi", Lang: "id", At: sec(8),
			Title: "Harga cabai naik lagi", Text: "<p>Berita pasar yang tidak menyebut merek apa pun.</p>",
			Link: "https://news.example/2026/11/unrelated"},
	}
	forum := []Item{
		{ID: "https://forum.example/t/812", Author: "devtama", Lang: "en", At: sec(9),
			Title: "Kilat Express tracking API returns 500 since this morning",
			Text:  "Our shop's webhook from Kilat Express has failed since 08:00 and orders are stuck. Anyone else?",
			Link:  "https://forum.example/t/812"},
	}
	reviews := []Item{
		{ID: "https://itunes.example/review/9001", Author: "siti", Published: ago(5 * time.Hour), Rating: 5,
			Title: "Mantap", Text: "Aplikasi Kilat Express mantap, lacak paket jadi gampang banget",
			Link: "https://apps.example/kilat-express"},
		{ID: "https://itunes.example/review/9002", Author: "tom_k", At: sec(6), Rating: 1,
			Title: "Crashes constantly", Text: "Kilat Express app crashes every time I open tracking. Please fix, this is useless.",
			Link: "https://apps.example/kilat-express"},
	}
	alerts := []Item{
		{ID: "tag:google.com,2013:googlealerts/feed:1001", Lang: "id", At: sec(12),
			Title: "Keluhan pelanggan <b>Kilat Express</b> meningkat jelang Harbolnas",
			Text:  "Sejumlah pelanggan <b>Kilat Express</b> mengeluhkan paket yang terlambat hingga sepekan...",
			Link:  "https://media.example/ekonomi/keluhan-kilat-express"},
	}
	social = append(social, trickle(start, 25*time.Second, 8*time.Second, 200)...)
	feeds := map[string]*Feed{}
	for path, items := range map[string][]Item{
		"/social/kilatexpress.atom":     social,
		"/news/rss":                     news,
		"/forum/latest.json":            forum,
		"/id/rss/customerreviews/id=1/": reviews,
		"/alerts/kilat-express.atom":    alerts,
	} {
		feeds[path] = NewFeed(DemoFeeds[path], "Kilat Express "+string(DemoFeeds[path]), now, items...)
		feeds[path].Window = 50
	}
	return feeds
}

// trickle keeps the demo's live feed moving after the script: a new post
// every interval, cycling through everyday mentions.
func trickle(start time.Time, from, every time.Duration, n int) []Item {
	texts := []struct{ author, lang, text string }{
		{"nadia", "id", "Kurir Kilat Express tadi ramah banget, makasih ya"},
		{"ken", "en", "Is Kilat Express delivering on public holidays?"},
		{"putra", "id", "Kilat Express ongkirnya naik lagi? mahal bgt skrg"},
		{"mia", "en", "Package from Kilat Express came damaged, box crushed. Not happy."},
		{"rudi", "id", "Alhamdulillah paket dari Kilat Express sampai dengan selamat"},
		{"lena", "en", "Kilat Express still hasn't refunded my failed COD order after 2 weeks. Ridiculous."},
	}
	items := make([]Item, n)
	for i := range items {
		t := texts[i%len(texts)]
		items[i] = Item{
			ID: fmt.Sprintf("tag:social.example,2026:live-%d", i), Author: t.author, Lang: t.lang, Text: t.text,
			Link: fmt.Sprintf("https://social.example/@%s/%d", t.author, 100+i),
			At:   from + time.Duration(i)*every,
		}
	}
	return items
}
