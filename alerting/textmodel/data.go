package textmodel

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode"
)

// Data is the labeled data of shared/data, read for training and
// evaluation. None of it is embedded: only weights derived from the sets
// whose licences allow it are (see shared/data/README.md and NOTICE).
type Data struct {
	SmSATrain, SmSAValid []Labeled // IndoNLU SmSA: positive / neutral / negative
	EmoTTrain, EmoTValid []Labeled // IndoNLU EmoT: anger / happy / sadness / fear / love
	Complaints           []Complaint
	Severity             []Complaint // with Severity, Sentiment and Emotion
	NusaXEN, NusaXID     []Labeled   // NusaX valid, matched by ID
	// NusaX train: never trained on either (NusaX is for evaluation only);
	// a second, larger check of the agreement.
	NusaXTrainEN, NusaXTrainID []Labeled
	Vader                      map[string]float64
	VaderEmoji                 map[string]string
	Afinn                      map[string]float64
	AfinnEmoticon              map[string]float64

	// Dropped counts training rows removed because their text is also in
	// an evaluation set (SmSA valid, EmoT valid, NusaX).
	Dropped map[string]int
}

// Labeled is a text with a class label.
type Labeled struct {
	ID    string
	Text  string
	Label string
}

// Complaint is a complaints-en row.
type Complaint struct {
	Text      string
	Label     int // 1 complaint
	Domain    string
	Severity  int    // 0..4 (severity_dev.csv only)
	Sentiment string // positive / neutral / negative (severity_dev.csv only)
	Emotion   string
}

// LoadData reads shared/data from dir.
func LoadData(dir string) (*Data, error) {
	d := &Data{Dropped: map[string]int{}}
	var err error
	p := func(parts ...string) string { return filepath.Join(append([]string{dir}, parts...)...) }
	if d.SmSATrain, err = readTSV(p("indonlu-smsa", "train_preprocess.tsv")); err != nil {
		return nil, err
	}
	if d.SmSAValid, err = readTSV(p("indonlu-smsa", "valid_preprocess.tsv")); err != nil {
		return nil, err
	}
	if d.EmoTTrain, err = readEmoT(p("indonlu-emot", "train_preprocess.csv")); err != nil {
		return nil, err
	}
	if d.EmoTValid, err = readEmoT(p("indonlu-emot", "valid_preprocess.csv")); err != nil {
		return nil, err
	}
	rows, err := readCSV(p("complaints-en", "complaints_dev.csv"))
	if err != nil {
		return nil, err
	}
	for _, r := range rows[1:] { // tweet_id,text,label,domain
		if len(r) < 4 {
			continue
		}
		d.Complaints = append(d.Complaints, Complaint{Text: r[1], Label: atoi(r[2]), Domain: r[3]})
	}
	if rows, err = readCSV(p("complaints-en", "severity_dev.csv")); err != nil {
		return nil, err
	}
	for _, r := range rows[1:] { // id,tweet,label,domain,sentiment,emotion,Severity,Explain
		if len(r) < 7 {
			continue
		}
		d.Severity = append(d.Severity, Complaint{Text: r[1], Label: atoi(r[2]), Domain: r[3],
			Sentiment: strings.ToLower(r[4]), Emotion: strings.ToLower(r[5]), Severity: atoi(r[6])})
	}
	for _, l := range []struct {
		dst   *[]Labeled
		name  string
		split string
	}{{&d.NusaXEN, "english", "valid"}, {&d.NusaXID, "indonesian", "valid"},
		{&d.NusaXTrainEN, "english", "train"}, {&d.NusaXTrainID, "indonesian", "train"}} {
		rows, err := readCSV(p("nusax-senti", l.name, l.split+".csv"))
		if err != nil {
			return nil, err
		}
		for _, r := range rows[1:] {
			if len(r) >= 3 {
				*l.dst = append(*l.dst, Labeled{ID: r[0], Text: r[1], Label: r[2]})
			}
		}
	}
	if d.Vader, err = readValences(p("lexicons", "vader", "vader_lexicon.txt")); err != nil {
		return nil, err
	}
	if d.Afinn, err = readValences(p("lexicons", "afinn", "AFINN-en-165.txt")); err != nil {
		return nil, err
	}
	if d.AfinnEmoticon, err = readValences(p("lexicons", "afinn", "AFINN-emoticon-8.txt")); err != nil {
		return nil, err
	}
	d.VaderEmoji = map[string]string{}
	if err := eachLine(p("lexicons", "vader", "emoji_utf8_lexicon.txt"), func(s string) {
		if k, v, ok := strings.Cut(s, "\t"); ok {
			d.VaderEmoji[k] = v
		}
	}); err != nil {
		return nil, err
	}

	// Evaluation texts never train: drop training rows whose text (letters
	// and digits only, lower case) is also in SmSA valid, EmoT valid or
	// NusaX (NusaX's Indonesian sentences were drawn from the same sources
	// as SmSA; some are in SmSA train word for word).
	held := map[string]bool{}
	for _, set := range [][]Labeled{d.SmSAValid, d.EmoTValid, d.NusaXID} {
		for _, l := range set {
			held[dedupKey(l.Text)] = true
		}
	}
	if rows, err := readCSV(p("nusax-senti", "indonesian", "train.csv")); err == nil {
		for _, r := range rows[1:] {
			if len(r) >= 2 {
				held[dedupKey(r[1])] = true
			}
		}
	}
	filter := func(name string, in []Labeled) []Labeled {
		out := in[:0:0]
		for _, l := range in {
			if held[dedupKey(l.Text)] {
				d.Dropped[name]++
				continue
			}
			out = append(out, l)
		}
		return out
	}
	d.SmSATrain = filter("SmSA train", d.SmSATrain)
	d.EmoTTrain = filter("EmoT train", d.EmoTTrain)
	return d, nil
}

func dedupKey(s string) string {
	var b strings.Builder
	space := false
	for _, r := range strings.ToLower(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			b.WriteRune(r)
			space = false
		} else {
			space = true
		}
	}
	return b.String()
}

func atoi(s string) int {
	n, _ := strconv.Atoi(strings.TrimSpace(s))
	return n
}

func eachLine(path string, fn func(string)) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 1<<16), 1<<22)
	for sc.Scan() {
		if t := strings.TrimRight(sc.Text(), "\r"); t != "" {
			fn(t)
		}
	}
	return sc.Err()
}

func readTSV(path string) ([]Labeled, error) {
	var out []Labeled
	err := eachLine(path, func(s string) {
		if i := strings.LastIndexByte(s, '\t'); i > 0 {
			out = append(out, Labeled{ID: strconv.Itoa(len(out)), Text: s[:i], Label: strings.TrimSpace(s[i+1:])})
		}
	})
	return out, err
}

func readEmoT(path string) ([]Labeled, error) {
	rows, err := readCSV(path)
	if err != nil {
		return nil, err
	}
	var out []Labeled
	for _, r := range rows[1:] { // label,tweet
		if len(r) >= 2 {
			out = append(out, Labeled{ID: strconv.Itoa(len(out)), Text: r[1], Label: r[0]})
		}
	}
	return out, nil
}

func readCSV(path string) ([][]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	rows, err := r.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("%s: empty", path)
	}
	return rows, nil
}

// readValences reads "token<TAB>valence[<TAB>...]".
func readValences(path string) (map[string]float64, error) {
	out := map[string]float64{}
	err := eachLine(path, func(s string) {
		f := strings.Split(s, "\t")
		if len(f) < 2 {
			return
		}
		if v, err := strconv.ParseFloat(strings.TrimSpace(f[1]), 64); err == nil {
			out[f[0]] = v
		}
	})
	return out, err
}
