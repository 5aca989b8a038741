package collectors

import (
	"bytes"
	"encoding/xml"
	"strings"

	"github.com/mmcdole/gofeed"
	jsonfeed "github.com/mmcdole/gofeed/json"
)

// itemLanguages finds the language each item declares for itself, which
// gofeed's universal Item drops: a JSON Feed item's "language", an Atom
// entry's xml:lang, an RSS item's dc:language. A feed that mixes languages
// (a social timeline) says more per item than at the top. Missing entries
// fall back to the feed's language.
func itemLanguages(feed *gofeed.Feed, body []byte) map[*gofeed.Item]string {
	langs := map[*gofeed.Item]string{}
	switch feed.FeedType {
	case "json":
		orig, ok := feed.OriginalFeed().(*jsonfeed.Feed)
		// The translator maps items one to one, in order.
		if !ok || len(orig.Items) != len(feed.Items) {
			break
		}
		for i, it := range feed.Items {
			if orig.Items[i] != nil && it != nil {
				langs[it] = orig.Items[i].Language
			}
		}
	case "atom":
		byID := atomEntryLangs(body)
		for _, it := range feed.Items {
			if it != nil {
				langs[it] = byID[strings.TrimSpace(it.GUID)]
			}
		}
	case "rss":
		for _, it := range feed.Items {
			if it != nil && it.DublinCoreExt != nil && len(it.DublinCoreExt.Language) > 0 {
				langs[it] = it.DublinCoreExt.Language[0]
			}
		}
	}
	return langs
}

const xmlNamespace = "http://www.w3.org/XML/1998/namespace"

// atomEntryLangs maps each Atom entry's id to its xml:lang (inherited
// from the feed element when the entry has none). It is best effort: the
// body already parsed as a feed, and any trouble here just means no
// per-entry languages.
func atomEntryLangs(body []byte) map[string]string {
	out := map[string]string{}
	dec := xml.NewDecoder(bytes.NewReader(body))
	var (
		langs   []string // xml:lang in scope, one per open element
		inEntry bool
		inID    bool
		id      strings.Builder
	)
	for {
		tok, err := dec.Token()
		if err != nil {
			return out
		}
		switch t := tok.(type) {
		case xml.StartElement:
			lang := ""
			if len(langs) > 0 {
				lang = langs[len(langs)-1]
			}
			for _, a := range t.Attr {
				if a.Name.Local == "lang" && (a.Name.Space == xmlNamespace || a.Name.Space == "xml") {
					lang = a.Value
				}
			}
			langs = append(langs, lang)
			switch {
			case len(langs) == 2 && t.Name.Local == "entry":
				inEntry = true
				id.Reset()
			case len(langs) == 3 && inEntry && t.Name.Local == "id":
				inID = true
			}
		case xml.CharData:
			if inID && id.Len() < maxNativeIDBytes*4 {
				id.Write(t)
			}
		case xml.EndElement:
			if len(langs) == 0 {
				return out
			}
			switch {
			case len(langs) == 3 && inID:
				inID = false
			case len(langs) == 2 && inEntry:
				inEntry = false
				if key := strings.TrimSpace(id.String()); key != "" {
					out[key] = langs[len(langs)-1]
				}
			}
			langs = langs[:len(langs)-1]
		}
	}
}
