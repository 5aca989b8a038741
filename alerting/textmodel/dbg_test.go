package textmodel

import (
	"os"
	"strings"
	"testing"
)

func TestDbg(t *testing.T) {
	m := Default()
	for _, s := range strings.Split(os.Getenv("DBG"), "|") {
		e := m.Extract(s, "")
		z := newScratch(); z.reset(); z.tokenize(m, s); z.scan(m)
		lang, share := z.language("")
		var o outputs
		m.infer(z, lang, share, &o)
		t.Logf("%q lang=%s share=%.2f en=%.2f id=%.2f ot=%.2f sent=%v compl=%.2f", s, lang, share, z.en, z.id, z.ot, o.sent, o.complaint)
		for _, f := range e.Features {
			i := m.tab.get(featureHash(f))
			var wi, we []float32
			if i >= 0 {
				if o := m.ents[i].wID; o >= 0 { wi = m.wID[o:o+4] }
				if o := m.ents[i].wEN; o >= 0 { we = m.wEN[o:o+9] }
			}
			t.Logf("   %-20s id%v en%v", f, wi, we)
		}
		var nz []string
		for d, x := range e.Dense { if x != 0 { nz = append(nz, DenseNames[d]) } }
		t.Logf("   dense: %v", nz)
	}
}
