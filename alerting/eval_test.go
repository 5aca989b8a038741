package alerting

import (
	"bufio"
	"encoding/csv"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pantau/pantau/store"
)

// TestEval is a sanity measure of the text scorer on labeled data, not a
// test with a target: it only logs numbers. The data sets may be used for
// evaluation but not embedded (see shared/data/README.md), so they are read
// from the shared folder at test time and never copied.
//
//	PANTAU_EVAL=1 go test ./alerting/ -run TestEval -v
func TestEval(t *testing.T) {
	if os.Getenv("PANTAU_EVAL") != "1" {
		t.Skip("set PANTAU_EVAL=1 to evaluate on ../../shared/data")
	}
	dir := filepath.Join("..", "..", "shared", "data")
	sc := NewTextScorer()
	score := func(text string) store.Score {
		return sc.Score(Input{Mention: store.Mention{Text: text}, Now: time.Now()})
	}

	t.Run("complaints-en", func(t *testing.T) {
		rows := readCSV(t, filepath.Join(dir, "complaints-en", "complaints_dev.csv"))
		var c confusion
		langs := map[string]int{}
		for _, r := range rows[1:] { // tweet_id,text,label,domain
			s := score(r[1])
			langs[s.Lang]++
			c.add(s.Complaint >= 0.5, r[2] == "1")
		}
		t.Logf("Complaint>=0.5 vs label=1: %s; languages %v", c, langs)
	})

	t.Run("complaints-en severity", func(t *testing.T) {
		rows := readCSV(t, filepath.Join(dir, "complaints-en", "severity_dev.csv"))
		// id,tweet,label,domain,sentiment,emotion,Severity,Explain
		var perLevel [5]confusion
		var exact, n int
		var sent confusion
		for _, r := range rows[1:] {
			want, err := strconv.Atoi(r[6])
			if err != nil || want < 0 || want > 4 {
				continue
			}
			s := score(r[1])
			n++
			if s.Severity == want {
				exact++
			}
			for lvl := range perLevel {
				perLevel[lvl].add(s.Severity == lvl, want == lvl)
			}
			sent.add(s.Sentiment < 0, strings.EqualFold(r[4], "negative"))
		}
		var macro float64
		for lvl := range perLevel {
			macro += perLevel[lvl].f1()
			t.Logf("severity %d: %s", lvl, perLevel[lvl])
		}
		t.Logf("severity 0-4: accuracy %.3f, macro F1 %.3f over %d rows", float64(exact)/float64(n), macro/5, n)
		t.Logf("Sentiment<0 vs sentiment=negative: %s", sent)
	})

	t.Run("indonlu-smsa", func(t *testing.T) {
		f, err := os.Open(filepath.Join(dir, "indonlu-smsa", "valid_preprocess.tsv"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		var c, compl confusion
		langs := map[string]int{}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
		for sc.Scan() {
			text, label, ok := cut(sc.Text())
			if !ok {
				continue
			}
			s := score(text)
			langs[s.Lang]++
			c.add(s.Sentiment < 0, label == "negative")
			compl.add(s.Complaint >= 0.5, label == "negative")
		}
		t.Logf("Sentiment<0 vs negative: %s; languages %v", c, langs)
		t.Logf("(for reference) Complaint>=0.5 vs negative: %s", compl)
	})

	t.Run("nusax", func(t *testing.T) {
		for _, lang := range []string{"english", "indonesian"} {
			rows := readCSV(t, filepath.Join(dir, "nusax-senti", lang, "valid.csv"))
			var c confusion
			langs := map[string]int{}
			for _, r := range rows[1:] { // id,text,label
				s := score(r[1])
				langs[s.Lang]++
				c.add(s.Sentiment < 0, r[2] == "negative")
			}
			t.Logf("%s: Sentiment<0 vs negative: %s; languages %v", lang, c, langs)
		}
	})
}

// cut splits "text<TAB>label" at the last tab.
func cut(line string) (text, label string, ok bool) {
	i := strings.LastIndexByte(line, '\t')
	if i < 0 {
		return "", "", false
	}
	return line[:i], strings.TrimSpace(line[i+1:]), true
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

type confusion struct{ tp, fp, fn, tn int }

func (c *confusion) add(pred, truth bool) {
	switch {
	case pred && truth:
		c.tp++
	case pred:
		c.fp++
	case truth:
		c.fn++
	default:
		c.tn++
	}
}

func (c confusion) precision() float64 { return ratio(c.tp, c.tp+c.fp) }
func (c confusion) recall() float64    { return ratio(c.tp, c.tp+c.fn) }
func (c confusion) f1() float64 {
	p, r := c.precision(), c.recall()
	if p+r == 0 {
		return 0
	}
	return 2 * p * r / (p + r)
}

func (c confusion) String() string {
	return "P " + strconv.FormatFloat(c.precision(), 'f', 3, 64) +
		" R " + strconv.FormatFloat(c.recall(), 'f', 3, 64) +
		" F1 " + strconv.FormatFloat(c.f1(), 'f', 3, 64) +
		" (tp " + strconv.Itoa(c.tp) + " fp " + strconv.Itoa(c.fp) + " fn " + strconv.Itoa(c.fn) + " tn " + strconv.Itoa(c.tn) + ")"
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}
