package audit

// The PII scanner decides what a number is mostly from the words around it.
// Every such word is in one table, with bit flags for the roles it can play,
// so each token costs one map lookup.

type kw uint64

const (
	kwOrder   kw = 1 << iota // order, pesanan, resi, AWB, invoice...
	kwBooking                // booking, PNR, reservasi
	kwBank                   // rek, rekening, account, BCA, Mandiri...
	kwCard                   // kartu, card, visa...
	kwNIK                    // NIK, KTP
	kwPlate                  // plat, nopol, motor...

	kwFiller   // words that may sit between a context word and its number
	kwPerson   // a person's: kakak, your, saya...
	kwBrand    // the brand's: kami, our, official...
	kwBusiness // a shop or office: outlet, toko, store...
	kwCurrency // Rp, IDR, USD...
	kwUnit     // hari, jam, ribu, %, items... after a number: not an id
	kwStop     // words that end a street name

	kwStreet   // Jl., Jalan
	kwGang     // Gg., Gang
	kwEstate   // Perum, Komplek
	kwBlock    // Blok
	kwHouseNo  // No., Nomor (inside an address)
	kwRT       // RT
	kwRW       // RW
	kwVillage  // Kel., Kelurahan, Desa
	kwDistrict // Kec., Kecamatan
	kwAbbrev   // abbreviations nobody writes by accident (jl, gg, kec)

	kwStreetType // Street, St, Avenue, Road...
	kwUnitNo     // Apt, Unit, Suite
	kwAddrCtx    // alamat, address
	kwURLKey     // URL path or query names that carry a tracking number
	kwNotWaybill // letter prefixes of product codes, not waybills
	kwWeBrand    // "kami", "us": the brand's only right before its number
	kwChannel    // WA, nomor, hotline, di, at: words between a marker and a number

	kwContext = kwOrder | kwBooking | kwBank | kwCard | kwNIK | kwPlate
	kwAddr    = kwStreet | kwGang | kwEstate | kwBlock | kwHouseNo | kwRT | kwRW | kwVillage | kwDistrict
)

var kwTable = func() map[string]kw {
	m := map[string]kw{}
	add := func(f kw, words ...string) {
		for _, w := range words {
			m[w] |= f
		}
	}
	add(kwOrder, "order", "orders", "ordernya", "pesanan", "pesananku", "pesanannya", "resi", "resinya",
		"noresi", "awb", "invoice", "invoicenya", "inv", "tracking", "trx", "transaksi", "waybill", "pesenan")
	add(kwBooking, "booking", "bookingan", "pnr", "reservasi", "reservation")
	add(kwBank, "rek", "rekening", "norek", "account", "acct", "bca", "bni", "bri", "mandiri", "bsi",
		"cimb", "permata", "btn", "danamon", "ocbc", "jago", "va")
	add(kwCard, "kartu", "card", "cc", "visa", "mastercard", "amex", "kredit", "debit")
	add(kwNIK, "nik", "ktp", "kependudukan")
	add(kwPlate, "plat", "plate", "nopol", "polisi", "kendaraan", "motor", "mobil", "license", "registration")

	add(kwFiller, "no", "nomor", "nmr", "number", "num", "nr", "id", "kode", "code", "ref", "kakak", "kak",
		"kk", "ka", "anda", "your", "you", "saya", "sy", "my", "aku", "gw", "gue", "is", "adalah", "ialah",
		"yaitu", "nya", "dengan", "dgn", "jne", "jnt", "sicepat", "anteraja", "ninja", "pos", "spx",
		"the", "a", "an", "n", "of", "for", "untuk", "utk", "atas", "nama", "tujuan", "kamu", "ini", "itu")
	add(kwPerson, "kakak", "kak", "kk", "ka", "anda", "you", "your", "saya", "sy", "aku", "gw", "gue", "my",
		"me", "bapak", "ibu", "pak", "bu", "mas", "mbak", "customer", "pelanggan", "beliau", "kamu", "registered",
		"terdaftar")
	add(kwBrand, "our", "official", "resmi", "hotline", "helpline", "callcenter", "center", "centre", "cs",
		"kalian", "layanan", "support")
	add(kwWeBrand, "kami", "us", "we", "kita")
	add(kwChannel, "wa", "whatsapp", "nomor", "number", "no", "hp", "telepon", "telp", "phone", "line",
		"kontak", "contact", "di", "at", "on", "ke", "via", "lewat", "call", "sms", "hubungi", "ring")
	add(kwBusiness, "outlet", "toko", "store", "gerai", "cabang", "kantor", "office", "branch", "showroom",
		"kunjungi", "visit", "shop", "restoran", "restaurant", "hq", "headquarters", "warehouse", "service",
		"servis", "pusat")
	add(kwCurrency, "rp", "idr", "usd", "sgd", "rm", "eur", "aud", "myr", "gbp", "jpy")
	add(kwUnit, "rb", "ribu", "k", "jt", "juta", "m", "x", "pcs", "kg", "gr", "gram", "g", "ml", "l", "cm",
		"mm", "km", "gb", "mb", "kb", "tb", "persen", "percent", "hari", "minggu", "bulan", "tahun", "jam",
		"menit", "detik", "day", "days", "week", "weeks", "month", "months", "year", "years", "hour", "hours",
		"hr", "hrs", "minute", "minutes", "min", "mins", "second", "seconds", "sec", "item", "items", "kali",
		"st", "nd", "rd", "th", "am", "pm", "wib", "wita", "wit", "orang", "buah", "bintang", "star", "stars",
		"lembar", "digit", "digits", "pc", "times", "rupiah", "dollar", "dollars", "ribuan", "jutaan",
		"points", "poin", "lt", "lantai")
	add(kwStop, "di", "ke", "dari", "yang", "dan", "atau", "the", "and", "or", "in", "on", "at", "to", "from",
		"sudah", "akan", "ya", "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "sept", "oct",
		"nov", "dec", "januari", "februari", "maret", "april", "mei", "juni", "juli", "agustus", "september",
		"oktober", "november", "desember", "january", "february", "march", "june", "july", "august", "october",
		"december", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "senin",
		"selasa", "rabu", "kamis", "jumat", "sabtu", "minggu", "wib", "pm", "am", "pukul", "jam", "besok",
		"hari", "sejak", "sampai", "hingga", "karena", "for", "with", "by", "is", "was", "will")
	add(kwStreet, "jl", "jln", "jalan")
	add(kwGang, "gg", "gang")
	add(kwEstate, "perum", "perumahan", "komplek", "kompleks", "komp", "apartemen")
	add(kwBlock, "blok", "blk", "block")
	add(kwHouseNo, "no", "nomor", "nmr", "nomer")
	add(kwRT, "rt")
	add(kwRW, "rw")
	add(kwVillage, "kel", "kelurahan", "desa", "ds", "dusun")
	add(kwDistrict, "kec", "kecamatan")
	add(kwAbbrev, "jl", "jln", "gg", "kel", "kec", "komp", "perum", "ds", "blk")
	add(kwStreetType, "street", "st", "avenue", "ave", "road", "rd", "boulevard", "blvd", "lane", "ln",
		"drive", "dr", "way", "court", "ct", "place", "pl", "terrace", "parkway", "pkwy", "highway", "hwy",
		"square", "sq", "close", "crescent", "loop", "row", "alley", "trail", "circle", "cir", "walk", "mews",
		"gardens", "grove", "esplanade", "promenade", "expressway", "pike", "wharf", "quay")
	add(kwUnitNo, "apt", "apartment", "unit", "suite", "ste", "flat", "fl", "floor", "lt", "lantai")
	add(kwAddrCtx, "alamat", "alamatnya", "address", "tinggal", "rumah", "domisili")
	add(kwURLKey, "resi", "noresi", "no_resi", "awb", "tracking", "trackingnumber", "tracking_number",
		"track", "tn", "order", "orderid", "order_id", "invoice", "inv", "booking", "waybill", "shipment",
		"parcel", "pesanan", "trackingno")
	add(kwNotWaybill, "sku", "isbn", "imei", "rtx", "gtx", "covid", "model", "type", "ver", "version",
		"build", "ref", "promo", "kode", "code", "hemat")
	return m
}()

// kwFlags returns the flags of a word, case-insensitively.
func kwFlags(w string) kw {
	var buf [24]byte
	k, ok := lowerKey(w, &buf)
	if !ok {
		return 0
	}
	return kwTable[string(k)]
}

// lowerKey lower-cases an ASCII word into buf without allocating. Words
// that are too long or not ASCII are in no table.
func lowerKey(w string, buf *[24]byte) ([]byte, bool) {
	if len(w) > len(buf) {
		return nil, false
	}
	for i := 0; i < len(w); i++ {
		c := w[i]
		if c >= 0x80 {
			return nil, false
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	return buf[:len(w)], true
}

func setOf(words ...string) map[string]struct{} {
	m := make(map[string]struct{}, len(words))
	for _, w := range words {
		m[w] = struct{}{}
	}
	return m
}
