package digest

import (
	"bytes"
	"context"
	"encoding/json"
	"image/png"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/pantau/pantau/alerting/notify"
)

func renderJakarta(t *testing.T, publicURL string) (*Report, *Rendered) {
	t.Helper()
	loc := mustZone(t, "Asia/Jakarta")
	st := openStore(t)
	storeFixtures(t, st, jakartaFixtures(loc))
	r, err := Compute(context.Background(), StoreSource{Store: st}, Params{Kind: Daily, At: time.Date(2026, 11, 23, 8, 0, 0, 0, loc), Loc: loc})
	if err != nil {
		t.Fatal(err)
	}
	out, err := Render(r, RenderOptions{PublicURL: publicURL})
	if err != nil {
		t.Fatal(err)
	}
	return r, out
}

func TestRenderEscapesAndMasks(t *testing.T) {
	_, out := renderJakarta(t, "https://pantau.example.com")
	d := out.Message.Digest
	var payload any
	if err := json.Unmarshal(d.Slack, &payload); err != nil {
		t.Fatalf("slack payload: %v", err)
	}
	slackText := strings.Join(stringsIn(payload), "\n")
	forms := map[string]string{"text": d.Text, "html": d.HTML, "slack": slackText, "summary": out.Message.Summary}
	for name, body := range forms {
		for _, leak := range []string{"dina.r92", "3456-7890", "081234567890"} {
			if strings.Contains(body, leak) {
				t.Errorf("%s contains %q", name, leak)
			}
		}
	}
	// Plain text shows the mention as it is; the HTML and Slack must not
	// let it become markup.
	if !strings.Contains(d.Text, "<script>alert(1)</script>") {
		t.Error("the plain text lost the mention's text")
	}
	if strings.Contains(d.HTML, "<script>") || strings.Contains(slackText, "<script>") {
		t.Error("a <script> from a mention reached the HTML or Slack unescaped")
	}
	// Masked, not dropped: the hint an agent needs is there.
	for name, body := range map[string]string{"text": d.Text, "html": d.HTML, "slack": slackText} {
		if !strings.Contains(body, "d***@gmail.com") || !strings.Contains(body, "0812****7890") {
			t.Errorf("%s lacks the masked e-mail address or phone number", name)
		}
	}
	if !strings.Contains(d.HTML, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Error("the HTML does not show the mention's <script> as escaped text")
	}
	if !strings.Contains(slackText, "&lt;script&gt;") {
		t.Error("the Slack text does not escape < and >")
	}
	if !strings.Contains(slackText, `https://pantau.example.com/#/history/from=2026-11-22T00%3A00%3A00%2B07%3A00&to=2026-11-23T00%3A00%3A00%2B07%3A00`) {
		t.Errorf("slack payload lacks the history link: %s", d.Slack)
	}
	for _, want := range []string{`href="https://social.example/p/c1"`, `href="https://pantau.example.com/#/mention/rss:c1"`, `src="cid:chart@pantau"`} {
		if !strings.Contains(d.HTML, want) {
			t.Errorf("html lacks %s", want)
		}
	}
	if out.Message.Action != notify.Digest || out.Message.AlertID != "digest|daily|2026-11-22" {
		t.Errorf("message id/action = %q %q", out.Message.AlertID, out.Message.Action)
	}
}

func TestRenderWithoutPublicURLHasNoDashboardLinks(t *testing.T) {
	_, out := renderJakarta(t, "")
	if strings.Contains(out.Message.Digest.HTML, "#/mention/") || strings.Contains(string(out.Message.Digest.Slack), "#/history") || out.Message.DashboardURL != "" {
		t.Error("dashboard links without http.public_url")
	}
	if !strings.Contains(out.Message.Digest.HTML, "https://social.example/p/c1") {
		t.Error("the link to the original is missing")
	}
}

func TestHostileURLIsDropped(t *testing.T) {
	if notify.WebURL("javascript:alert(1)") != "" || notify.WebURL("https://x.example/a b") != "" || notify.WebURL("https://ok.example/p") == "" {
		t.Error("webURL keeps only plain http(s) URLs")
	}
}

func TestChartIsAPNGOfTheExpectedSize(t *testing.T) {
	r, out := renderJakarta(t, "")
	img, err := png.Decode(bytes.NewReader(out.Chart))
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != ChartWidth || b.Dy() != ChartHeight {
		t.Fatalf("chart is %v", b)
	}
	// The complaint overlay is drawn: some pixel has the complaint colour.
	found := false
	for x := 0; x < ChartWidth && !found; x++ {
		for y := 30; y < ChartHeight-34; y++ {
			if rr, g, b, _ := img.At(x, y).RGBA(); rr>>8 == 219 && g>>8 == 68 && b>>8 == 55 {
				found = true
				break
			}
		}
	}
	if !found && r.Cur.Complaints > 0 {
		t.Error("no complaint bar in the chart")
	}
	// A weekly chart and an empty one draw too.
	for _, rep := range []*Report{{Kind: Weekly, Cur: Numbers{Bins: make([]Bin, 7)}, Prev: Numbers{Bins: make([]Bin, 7)}}, {Kind: Daily, hourlyBins: true}} {
		if _, err := Chart(rep); err != nil {
			t.Error(err)
		}
	}
}

func TestTerms(t *testing.T) {
	got := strings.Join(Terms("Paket #telat lagi!! @kilatcare https://x.example/a 0812****7890 d***@gmail.com yang udah 3 hari paket"), " ")
	if got != "paket telat" {
		t.Errorf("Terms = %q", got)
	}
}

// stringsIn collects every string in a decoded JSON value.
func stringsIn(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		var out []string
		for _, e := range x {
			out = append(out, stringsIn(e)...)
		}
		return out
	case map[string]any:
		var out []string
		for _, e := range x {
			out = append(out, stringsIn(e)...)
		}
		return out
	}
	return nil
}

func TestNiceCeil(t *testing.T) {
	for v, want := range map[int]int{0: 4, 1: 4, 4: 4, 5: 8, 46: 60, 100: 100, 101: 120, 1234: 1600} {
		if got := niceCeil(v); got != want {
			t.Errorf("niceCeil(%d) = %d, want %d", v, got, want)
		}
	}
}

// Hostile text (invalid UTF-8, a right-to-left override, a huge post, a
// javascript: link, Slack mention markup) is cleaned, cut and escaped,
// and the rest of the digest is still there.
func TestHostileMentionText(t *testing.T) {
	loc := time.UTC
	st := openStore(t)
	posted := time.Date(2026, 11, 22, 9, 0, 0, 0, loc)
	huge := strings.Repeat("paket hilang ", 20000)
	storeFixtures(t, st, []fixture{
		{id: "h1", text: "bad \xff\xfe bytes \u202egnp.exe <!channel> <https://evil.example|click> " + huge, url: "javascript:alert(1)",
			posted: posted, scored: true, complaint: 0.9, severity: 4, priority: 0.9},
		{id: "h2", text: "paket telat lagi", url: "https://ok.example/2", posted: posted.Add(time.Hour), scored: true, complaint: 0.8, severity: 2, priority: 0.5},
	})
	r, err := Compute(context.Background(), StoreSource{Store: st}, Params{Kind: Daily, At: time.Date(2026, 11, 23, 8, 0, 0, 0, loc), Loc: loc})
	if err != nil {
		t.Fatal(err)
	}
	out, err := Render(r, RenderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Top) != 2 || r.Top[0].URL != "" || r.Top[1].URL != "https://ok.example/2" {
		t.Fatalf("top: %+v", r.Top)
	}
	top := r.Top[0].Text
	if strings.ContainsAny(top, "\u202e\ufffd") || !utf8.ValidString(top) || utf8.RuneCountInString(top) > maxExcerpt+1 {
		t.Errorf("hostile text kept: %q", top)
	}
	d := out.Message.Digest
	var payload any
	if err := json.Unmarshal(d.Slack, &payload); err != nil {
		t.Fatal(err)
	}
	slackText := strings.Join(stringsIn(payload), "\n")
	if strings.Contains(slackText, "<!channel>") || strings.Contains(slackText, "<https://evil.example") {
		t.Error("Slack markup from a mention reached Slack unescaped")
	}
	if strings.Contains(d.HTML, "javascript:") || strings.Contains(d.HTML, "<!channel>") {
		t.Error("hostile link or markup in the HTML")
	}
	if len(d.HTML) > 200000 || len(d.Text) > 200000 {
		t.Errorf("a huge post made a huge digest: html %d, text %d bytes", len(d.HTML), len(d.Text))
	}
	if !strings.Contains(d.Text, "https://ok.example/2") {
		t.Error("the other complaint is missing")
	}
}
