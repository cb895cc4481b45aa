package utc

import (
	"reflect"
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

var (
	jsonConv    = New(false)
	msgpackConv = New(true)
)

// Shapes the UTC walk must reach, and places it must leave alone.

type utcLeaf struct {
	At    time.Time
	Pairs [2]struct{ A, B time.Time }
}

type utcHidden struct{ At time.Time } // reached only through an unexported embedded pointer below

type utcEmbedded struct{ In time.Time }

// selfDecoding decodes itself, so the walk must not look inside it.
type selfDecoding struct{ At time.Time }

func (*selfDecoding) UnmarshalJSON([]byte) error { return nil }

type utcList struct {
	At   time.Time
	Next *utcList
}

type utcShapes struct {
	utcEmbedded  // unexported embedded struct by value: its exported fields are set by decoders
	*utcHidden   // unexported embedded pointer: decoders cannot set it, the walk leaves it
	Leaf         utcLeaf
	Arr          [3]utcLeaf
	Slice        []utcLeaf
	PtrSlice     *[]utcLeaf
	Ptrs         []*utcLeaf
	Map          map[string]utcLeaf
	KeyedByTime  map[time.Time]int
	Any          any
	Anys         []any
	AnyMap       map[string]any
	List         *utcList
	Own          selfDecoding
	private      time.Time
	Grid         [2][2]time.Time
	EmptyArr     [0]time.Time
	NilPtr       *utcLeaf
	NilSlice     []utcLeaf
	NilMap       map[string]utcLeaf
	NilInterface any
}

func TestUTCWalkShapes(t *testing.T) {
	zone := time.FixedZone("X", 5*3600)
	at := time.Date(2024, 5, 1, 12, 0, 0, 7, zone)
	leaf := func() utcLeaf {
		l := utcLeaf{At: at}
		for i := range l.Pairs {
			l.Pairs[i].A, l.Pairs[i].B = at, at
		}
		return l
	}
	slice := []utcLeaf{leaf(), leaf()}
	v := utcShapes{
		utcEmbedded: utcEmbedded{In: at},
		utcHidden:   &utcHidden{At: at},
		Leaf:        leaf(),
		Arr:         [3]utcLeaf{leaf(), leaf(), leaf()},
		Slice:       []utcLeaf{leaf(), leaf(), leaf()},
		PtrSlice:    &slice,
		Ptrs:        []*utcLeaf{{At: at}, nil},
		Map:         map[string]utcLeaf{"a": leaf(), "b": leaf()},
		KeyedByTime: map[time.Time]int{at: 1},
		Any:         leaf(),
		Anys:        []any{at, &utcLeaf{At: at}, 3},
		AnyMap:      map[string]any{"t": at, "l": []any{at}},
		List:        &utcList{At: at, Next: &utcList{At: at}},
		Own:         selfDecoding{At: at},
		private:     at,
		Grid:        [2][2]time.Time{{at, at}, {at, at}},
	}
	jsonConv.Fix(&v)

	var n int
	utc := func(name string, got time.Time) {
		t.Helper()
		n++
		if !got.Equal(at) || got.Location() != time.UTC {
			t.Errorf("%s = %v, want the same instant in UTC", name, got)
		}
	}
	untouched := func(name string, got time.Time) {
		t.Helper()
		if got.Location() != zone {
			t.Errorf("%s = %v: the walk changed a time it must leave alone", name, got)
		}
	}
	checkLeaf := func(name string, l utcLeaf) {
		t.Helper()
		utc(name+".At", l.At)
		for _, p := range l.Pairs {
			utc(name+".Pairs.A", p.A)
			utc(name+".Pairs.B", p.B)
		}
	}
	utc("embedded In", v.In)
	checkLeaf("Leaf", v.Leaf)
	for _, l := range v.Arr {
		checkLeaf("Arr[i]", l)
	}
	for _, l := range v.Slice {
		checkLeaf("Slice[i]", l)
	}
	for _, l := range *v.PtrSlice {
		checkLeaf("PtrSlice[i]", l)
	}
	utc("Ptrs[0]", v.Ptrs[0].At)
	for _, l := range v.Map {
		checkLeaf("Map[k]", l)
	}
	checkLeaf("Any", v.Any.(utcLeaf))
	utc("Anys[0]", v.Anys[0].(time.Time))
	utc("Anys[1]", v.Anys[1].(*utcLeaf).At)
	utc("AnyMap[t]", v.AnyMap["t"].(time.Time))
	utc("AnyMap[l][0]", v.AnyMap["l"].([]any)[0].(time.Time))
	utc("List", v.List.At)
	utc("List.Next", v.List.Next.At)
	for _, row := range v.Grid {
		for _, g := range row {
			utc("Grid", g)
		}
	}
	if n != 1+5+15+15+10+1+10+5+1+1+1+1+2+4 {
		t.Errorf("checked %d times: the test lost track of its shapes", n)
	}

	untouched("hidden behind unexported embedded pointer", v.utcHidden.At)
	untouched("inside a self-decoding type", v.Own.At)
	untouched("unexported field", v.private)
	for k := range v.KeyedByTime {
		untouched("map key", k)
	}
	if v.Anys[2] != 3 || v.NilPtr != nil || v.NilSlice != nil || v.NilMap != nil || v.NilInterface != nil {
		t.Errorf("values without times changed: %v %v %v %v %v", v.Anys[2], v.NilPtr, v.NilSlice, v.NilMap, v.NilInterface)
	}
}

// A cyclic target (a decoder can leave one in place) is walked to the depth limit, not forever.
func TestUTCWalkCyclicTarget(t *testing.T) {
	l := &utcList{At: time.Date(2024, 1, 1, 0, 0, 0, 0, time.Local)}
	l.Next = l
	done := make(chan struct{})
	go func() {
		msgpackConv.Fix(&l)
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the UTC walk did not stop on a cyclic value")
	}
	if l.At.Location() != time.UTC {
		t.Errorf("At = %v, want UTC", l.At)
	}
}

// Many target types share the walk's 64-slot type cache: each must still get its own plan, however
// they collide and alternate.
func TestUTCTargetCacheCollisions(t *testing.T) {
	at := time.Date(2024, 5, 1, 12, 0, 0, 0, time.FixedZone("X", 3600))
	var ptrs []reflect.Value
	for i := range 200 {
		fields := []reflect.StructField{{Name: "Pad", Type: reflect.ArrayOf(i, reflect.TypeFor[byte]())}}
		if i%2 == 0 {
			fields = append(fields, reflect.StructField{Name: "At", Type: timeType})
		} else {
			fields = append(fields, reflect.StructField{Name: "Keep", Type: reflect.TypeFor[struct{ At time.Time }](),
				Tag: `json:"-" msgpack:"-"`})
		}
		ptrs = append(ptrs, reflect.New(reflect.StructOf(fields)))
	}
	for round := range 3 {
		for i, p := range ptrs {
			field := p.Elem().Field(1)
			if i%2 == 1 {
				field = field.Field(0)
			}
			field.Set(reflect.ValueOf(at))
			jsonConv.Fix(p.Interface())
			got := field.Interface().(time.Time)
			if wantUTC := i%2 == 0; (got.Location() == time.UTC) != wantUTC || !got.Equal(at) {
				t.Fatalf("round %d, type %d (%s): At = %v, want UTC %v", round, i, p.Type().Elem(), got, wantUTC)
			}
		}
	}
}

type candle struct {
	OpenTime time.Time
	Open     decimal.Decimal
}

type inner struct {
	Label string
	At    time.Time
	Price decimal.Decimal
}

// The walk runs only for types that can hold a time a decoder set.
func TestUTCAnalysis(t *testing.T) {
	for _, tc := range []struct {
		v    any
		want bool
	}{
		{[]candle{}, true},
		{struct{ P *decimal.Decimal }{}, false},
		{[]int{}, false},
		{map[string]string{}, false},
		{struct{ A any }{}, true},
		{struct{ T **[]map[string]*[1]inner }{}, true},
		{struct {
			T time.Time `json:"-" msgpack:"-"`
		}{}, false},
	} {
		typ := reflect.TypeOf(tc.v)
		for _, c := range []*Converter{jsonConv, msgpackConv} {
			if got := c.planFor(typ) != nil; got != tc.want {
				t.Errorf("%s (msgpack rules %v): walked = %v, want %v", typ, c.rules.Msgpack, got, tc.want)
			}
		}
	}
}
