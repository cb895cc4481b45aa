package codec

import (
	"reflect"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
)

// Rule: times decode as UTC instants. encoding/json keeps the offset written in the text (a fixed zone,
// or Local when the offset matches it) and msgpack decodes its timestamp extension with time.Unix, which
// is Local. After every decode, time.Time values the codec could have set — through exported or embedded
// fields, pointers, slices, arrays, map values and interfaces — are converted with Time.UTC(). Types that
// decode themselves (an UnmarshalJSON, a DecodeMsgpack, ...) are left as their method made them, and so
// are map keys. Types that cannot hold a time.Time skip the walk after one cached type lookup.
//
// The walk runs after every decode, so it is compiled per type into a utcPlan: the offsets of the times
// a value holds in its own memory (through nested structs and arrays) and the references (pointers,
// slices, maps, interfaces) to follow. A slice of structs is then one loop over its backing array,
// converting the times at fixed offsets, instead of a reflect.Value per element and field.

func newUTCAnalysis(msgpackRules bool) *utcAnalysis {
	a := &utcAnalysis{analysis: analysis{rules: fieldRules{msgpack: msgpackRules}}}
	leaf := decodeLeaf(msgpackRules)
	target := func(t reflect.Type) bool { return t == timeType || t.Kind() == reflect.Interface }
	a.relevant = func(t reflect.Type) bool { return reaches(t, a.rules, leaf, target) }
	return a
}

var (
	utcJSON    = newUTCAnalysis(false)
	utcMsgpack = newUTCAnalysis(true)
)

// utcAnalysis caches, per type, the compiled plan of the UTC walk (nil: nothing to do).
type utcAnalysis struct {
	analysis
	utcPlans sync.Map // reflect.Type → *utcPlan
	// targets maps the pointer types decoded into lately to their entries, so that the lookup on every
	// decode is a load and a compare; entries are made once per type, so replacing one allocates nothing.
	targets [64]atomic.Pointer[utcTarget]
	entries sync.Map // pointer type → *utcTarget
}

// utcTarget is the plan for the element of a pointer type that values are decoded into.
type utcTarget struct {
	ptrType reflect.Type
	plan    *utcPlan
}

// utcPlan converts the times in a value of one type, given the value's address.
type utcPlan struct {
	times []uintptr // offsets of time.Time values inside the value's own memory
	refs  []utcRef  // references inside the value's own memory that lead to times
}

type utcRef struct {
	off   uintptr
	typ   reflect.Type // the type at off: pointer, slice, array, map or interface
	kind  reflect.Kind
	elem  *utcPlan // pointer, slice or array element, map value; unused for interfaces
	size  uintptr  // element size (slices, arrays)
	count int      // array length
}

// toUTC converts the times inside *ptr (ptr is a non-nil pointer) to UTC.
func toUTC(a *utcAnalysis, ptr any) {
	rv := reflect.ValueOf(ptr)
	t := rv.Type()
	slot := &a.targets[uint64(reflect.ValueOf(t).Pointer())*0x9E3779B97F4A7C15>>58] // 64 slots
	e := slot.Load()
	if e == nil || e.ptrType != t {
		e = a.target(t)
		slot.Store(e)
	}
	if e.plan != nil {
		e.plan.fix(a, rv.UnsafePointer(), 0)
	}
}

func (a *utcAnalysis) target(ptrType reflect.Type) *utcTarget {
	if e, ok := a.entries.Load(ptrType); ok {
		return e.(*utcTarget)
	}
	e, _ := a.entries.LoadOrStore(ptrType, &utcTarget{ptrType: ptrType, plan: a.planFor(ptrType.Elem())})
	return e.(*utcTarget)
}

func (a *utcAnalysis) planFor(t reflect.Type) *utcPlan {
	if v, ok := a.utcPlans.Load(t); ok {
		return v.(*utcPlan)
	}
	p := a.compile(t, map[reflect.Type]*utcPlan{})
	v, _ := a.utcPlans.LoadOrStore(t, p)
	return v.(*utcPlan)
}

// compile builds the plan for t; memo holds the plans being built, so that recursive types refer to
// themselves instead of recursing forever. The result is nil when values of t need no walk.
func (a *utcAnalysis) compile(t reflect.Type, memo map[reflect.Type]*utcPlan) *utcPlan {
	if p, ok := memo[t]; ok {
		return p
	}
	if !a.isRelevant(t) {
		return nil
	}
	p := &utcPlan{}
	memo[t] = p
	a.add(p, t, 0, memo)
	if len(p.times) == 0 && len(p.refs) == 0 {
		memo[t] = nil // reaches times only through fields a decoder cannot set
		return nil
	}
	return p
}

// add appends to p what a value of type t at offset off needs.
func (a *utcAnalysis) add(p *utcPlan, t reflect.Type, off uintptr, memo map[reflect.Type]*utcPlan) {
	if t == timeType {
		p.times = append(p.times, off)
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		for _, e := range edges(t, a.rules) {
			sf := t.Field(e.index)
			// A field reached through an unexported embedded field can be set only when that field is a
			// struct held by value (its exported fields are promoted); a decoder sets nothing else there.
			if !sf.IsExported() && (sf.Type.Kind() != reflect.Struct || sf.Type == timeType) {
				continue
			}
			if a.isRelevant(sf.Type) {
				a.add(p, sf.Type, off+sf.Offset, memo)
			}
		}
	case reflect.Array:
		elem := a.compile(t.Elem(), memo)
		if elem == nil || t.Len() == 0 {
			return
		}
		p.refs = append(p.refs, utcRef{off: off, typ: t, kind: reflect.Array, elem: elem, size: t.Elem().Size(), count: t.Len()})
	case reflect.Pointer, reflect.Slice, reflect.Map:
		if elem := a.compile(t.Elem(), memo); elem != nil {
			p.refs = append(p.refs, utcRef{off: off, typ: t, kind: t.Kind(), elem: elem, size: t.Elem().Size()})
		}
	case reflect.Interface:
		p.refs = append(p.refs, utcRef{off: off, typ: t, kind: reflect.Interface})
	}
}

// fix converts the times of the value at base. depth counts the references followed, which only a
// cyclic target that the decoder left in place can make unbounded.
func (p *utcPlan) fix(a *utcAnalysis, base unsafe.Pointer, depth int) {
	if depth > maxDepth {
		return
	}
	for _, off := range p.times {
		t := (*time.Time)(unsafe.Add(base, off))
		if t.Location() != time.UTC {
			*t = t.UTC()
		}
	}
	for i := range p.refs {
		p.refs[i].fix(a, unsafe.Add(base, p.refs[i].off), depth+1)
	}
}

func (r *utcRef) fix(a *utcAnalysis, at unsafe.Pointer, depth int) {
	switch r.kind {
	case reflect.Pointer:
		if e := *(*unsafe.Pointer)(at); e != nil {
			r.elem.fix(a, e, depth)
		}
	case reflect.Array:
		for i := range r.count {
			r.elem.fix(a, unsafe.Add(at, uintptr(i)*r.size), depth)
		}
	case reflect.Slice:
		v := reflect.NewAt(r.typ, at).Elem()
		base := v.UnsafePointer()
		for i := range v.Len() {
			r.elem.fix(a, unsafe.Add(base, uintptr(i)*r.size), depth)
		}
	case reflect.Map:
		v := reflect.NewAt(r.typ, at).Elem()
		if v.Len() == 0 {
			return
		}
		c := reflect.New(r.typ.Elem()).Elem() // map values are not addressable: fix a copy, store it back
		for it := v.MapRange(); it.Next(); {
			c.Set(it.Value())
			r.elem.fix(a, c.Addr().UnsafePointer(), depth)
			v.SetMapIndex(it.Key(), c)
		}
	case reflect.Interface:
		v := reflect.NewAt(r.typ, at).Elem()
		if v.IsNil() {
			return
		}
		e := v.Elem()
		ep := a.planFor(e.Type())
		if ep == nil {
			return
		}
		c := reflect.New(e.Type()).Elem() // interface contents are not addressable: fix a copy
		c.Set(e)
		ep.fix(a, c.Addr().UnsafePointer(), depth)
		v.Set(c)
	}
}
