// portscope's libpcap addon: filter compilation (pcap_compile), libpcap's own BPF interpreter as a
// test oracle, device listing, and live capture delivered in batches.
//
// Live capture ownership rules: JavaScript allocates the batch arrays and the data buffer once and
// hands them to the Capture constructor, which keeps persistent references to them (so they cannot
// be collected while the handle lives). The addon writes into them only inside fill(), a
// synchronous call made from JavaScript, never from another thread and never while JavaScript is
// reading a batch. Readiness comes from a uv_poll on pcap_get_selectable_fd (the handle is in
// non-blocking mode): wait(cb) arms the poll once and calls cb (one JavaScript call) when the fd
// is readable; JavaScript then calls fill(), which drains libpcap with pcap_dispatch until it
// returns 0 or the batch is full.

#include <napi.h>
#include <pcap/pcap.h>
#include <uv.h>

#include <arpa/inet.h>
#include <pwd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#ifdef __linux__
#include <linux/if_packet.h>
#endif

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace {

// ---------------------------------------------------------------------------------------------
// Filter programs

// Reads a flat [code, jt, jf, k] * n program into `out`. Returns false (with a JS exception
// pending) when the argument is not a Uint32Array of whole instructions.
bool ReadProgram(const Napi::Env& env, const Napi::Value& v, std::vector<struct bpf_insn>& out) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_uint32_array) {
    Napi::TypeError::New(env, "program must be a Uint32Array of [code, jt, jf, k] * n").ThrowAsJavaScriptException();
    return false;
  }
  Napi::Uint32Array a = v.As<Napi::Uint32Array>();
  size_t len = a.ElementLength();
  if (len % 4 != 0) {
    Napi::RangeError::New(env, "program length must be a multiple of 4").ThrowAsJavaScriptException();
    return false;
  }
  size_t n = len / 4;
  out.resize(n);
  const uint32_t* p = a.Data();
  for (size_t i = 0; i < n; i++) {
    out[i].code = static_cast<u_short>(p[4 * i]);
    out[i].jt = static_cast<u_char>(p[4 * i + 1]);
    out[i].jf = static_cast<u_char>(p[4 * i + 2]);
    out[i].k = p[4 * i + 3];
  }
  return true;
}

// LINKTYPE_* values (capture files, batches) and DLT_* values (libpcap's API) differ for a few
// old link types; libpcap's own linktype_to_dlt / dlt_to_linktype are not exported. Linux values.
struct LinkDlt {
  int linktype;
  int dlt;
};
const LinkDlt kLinkDlt[] = {
    {100, DLT_ATM_RFC1483}, {101, DLT_RAW}, {102, DLT_SLIP_BSDOS}, {103, DLT_PPP_BSDOS}, {106, DLT_ATM_CLIP},
};

int LinktypeToDlt(int linktype) {
  for (const LinkDlt& m : kLinkDlt)
    if (m.linktype == linktype) return m.dlt;
  return linktype;
}

int DltToLinktype(int dlt) {
  for (const LinkDlt& m : kLinkDlt)
    if (m.dlt == dlt) return m.linktype;
  return dlt;
}

// An empty savefile whose header carries `linkType` (LINKTYPE_*) and `snaplen`, read through
// fmemopen: the handle tcpdump -r compiles on. libpcap's code generator treats savefiles
// differently from dead or live handles in places (DLT_NULL accepts every BSD AF_INET6 value;
// inbound/outbound are refused), and maps LINKTYPE_* to DLT_* itself. nullptr + errbuf on failure.
pcap_t* OpenSavefileHeader(uint32_t linkType, uint32_t snaplen, char* errbuf) {
  struct {
    uint32_t magic;
    uint16_t major, minor;
    int32_t thiszone;
    uint32_t sigfigs, snaplen, linktype;
  } hdr = {0xa1b2c3d4u, 2, 4, 0, 0, snaplen, linkType};  // host byte order: not "swapped"
  static_assert(sizeof hdr == 24, "pcap file header is 24 bytes");
  thread_local unsigned char buf[24];
  memcpy(buf, &hdr, sizeof hdr);
  FILE* f = fmemopen(buf, sizeof buf, "rb");
  if (f == nullptr) {
    snprintf(errbuf, PCAP_ERRBUF_SIZE, "fmemopen failed");
    return nullptr;
  }
  pcap_t* p = pcap_fopen_offline(f, errbuf);  // owns f from here on
  if (p == nullptr) fclose(f);
  return p;
}

// Compiles `expr` on `p` and closes `p`: the program flat as [code, jt, jf, k] * n, or a thrown
// Error whose message is pcap_geterr's text (what tcpdump prints after "tcpdump: ").
Napi::Value CompileOn(Napi::Env env, pcap_t* p, const std::string& expr, bool optimize, bpf_u_int32 netmask) {
  struct bpf_program prog;
  if (pcap_compile(p, &prog, expr.c_str(), optimize ? 1 : 0, netmask) < 0) {
    std::string msg = pcap_geterr(p);
    pcap_close(p);
    Napi::Error::New(env, msg).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Uint32Array out = Napi::Uint32Array::New(env, static_cast<size_t>(prog.bf_len) * 4);
  uint32_t* o = out.Data();
  for (u_int i = 0; i < prog.bf_len; i++) {
    o[4 * i] = prog.bf_insns[i].code;
    o[4 * i + 1] = prog.bf_insns[i].jt;
    o[4 * i + 2] = prog.bf_insns[i].jf;
    o[4 * i + 3] = prog.bf_insns[i].k;
  }
  pcap_freecode(&prog);
  pcap_close(p);
  return out;
}

// Arguments of compile / compileSavefile: (expr, linkType, snaplen, optimize = true).
bool CompileArgs(const Napi::CallbackInfo& info, const char* usage, std::string& expr, uint32_t& linkType,
                 uint32_t& snaplen, bool& optimize) {
  if (info.Length() < 3 || !info[0].IsString() || !info[1].IsNumber() || !info[2].IsNumber()) {
    Napi::TypeError::New(info.Env(), usage).ThrowAsJavaScriptException();
    return false;
  }
  expr = info[0].As<Napi::String>().Utf8Value();
  linkType = info[1].As<Napi::Number>().Uint32Value();
  snaplen = info[2].As<Napi::Number>().Uint32Value();
  optimize = info.Length() < 4 || info[3].IsUndefined() || info[3].ToBoolean().Value();
  return true;
}

// compile(expr, linkType, snaplen, optimize) -> Uint32Array [code, jt, jf, k] * n, with
// PCAP_NETMASK_UNKNOWN. linkType is a LINKTYPE_* value (as in capture files and batches). The
// handle is a savefile header as for compileSavefile; pcap_open_dead if that cannot be made.
Napi::Value Compile(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string expr;
  uint32_t linkType, snaplen;
  bool optimize;
  if (!CompileArgs(info, "compile(expr: string, linkType: number, snaplen: number, optimize?: boolean)", expr,
                   linkType, snaplen, optimize))
    return env.Undefined();
  char errbuf[PCAP_ERRBUF_SIZE] = "";
  pcap_t* p = OpenSavefileHeader(linkType, snaplen, errbuf);
  if (p == nullptr) p = pcap_open_dead(LinktypeToDlt(static_cast<int>(linkType)), static_cast<int>(snaplen));
  if (p == nullptr) {
    Napi::Error::New(env, "pcap_open_dead failed").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  return CompileOn(env, p, expr, optimize, PCAP_NETMASK_UNKNOWN);
}

// compileSavefile(expr, linkType, snaplen, optimize) -> Uint32Array, compiled exactly as
// `tcpdump -r FILE EXPR` does (added for the filter work): a savefile handle, and netmask 0 as
// tcpdump passes for -r (so "ip broadcast" compiles as there).
Napi::Value CompileSavefile(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string expr;
  uint32_t linkType, snaplen;
  bool optimize;
  if (!CompileArgs(info, "compileSavefile(expr: string, linkType: number, snaplen: number, optimize?: boolean)",
                   expr, linkType, snaplen, optimize))
    return env.Undefined();
  char errbuf[PCAP_ERRBUF_SIZE] = "";
  pcap_t* p = OpenSavefileHeader(linkType, snaplen, errbuf);
  if (p == nullptr) {
    Napi::Error::New(env, errbuf).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  return CompileOn(env, p, expr, optimize, 0);
}

// compileDead(expr, dlt, snaplen, optimize) -> Uint32Array, compiled exactly as `tcpdump -d -y DLT
// EXPR` does without -r / -i (added for dump -d): pcap_open_dead(dlt, snaplen), netmask 0. `dlt` is a
// DLT_ value, as pcap_datalink_name_to_val returns.
Napi::Value CompileDead(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string expr;
  uint32_t dlt, snaplen;
  bool optimize;
  if (!CompileArgs(info, "compileDead(expr: string, dlt: number, snaplen: number, optimize?: boolean)", expr, dlt,
                   snaplen, optimize))
    return env.Undefined();
  pcap_t* p = pcap_open_dead(static_cast<int>(dlt), static_cast<int>(snaplen));
  if (p == nullptr) {
    Napi::Error::New(env, "pcap_open_dead failed").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  return CompileOn(env, p, expr, optimize, 0);
}

// image(prog) -> string[]: libpcap's bpf_image for each instruction (the lines of `tcpdump -d`).
Napi::Value Image(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<struct bpf_insn> insns;
  if (info.Length() < 1 || !ReadProgram(env, info[0], insns)) {
    if (!env.IsExceptionPending()) Napi::TypeError::New(env, "image(prog: Uint32Array)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Array out = Napi::Array::New(env, insns.size());
  for (size_t i = 0; i < insns.size(); i++) {
    out.Set(static_cast<uint32_t>(i), Napi::String::New(env, bpf_image(&insns[i], static_cast<int>(i))));
  }
  return out;
}

// datalinkNameToVal(name) -> DLT_ value, or -1 for an unknown name (pcap_datalink_name_to_val).
Napi::Value DatalinkNameToVal(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) return Napi::Number::New(env, -1);
  std::string name = info[0].As<Napi::String>().Utf8Value();
  return Napi::Number::New(env, pcap_datalink_name_to_val(name.c_str()));
}

// offlineFilter(prog, data, capLen, wireLen) -> bpf_filter's return value
Napi::Value OfflineFilter(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  thread_local std::vector<struct bpf_insn> insns;
  if (info.Length() < 4 || !ReadProgram(env, info[0], insns)) {
    if (!env.IsExceptionPending()) Napi::TypeError::New(env, "offlineFilter(prog, data, capLen, wireLen)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  if (!info[1].IsTypedArray() || info[1].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array ||
      !info[2].IsNumber() || !info[3].IsNumber()) {
    Napi::TypeError::New(env, "offlineFilter(prog: Uint32Array, data: Uint8Array, capLen: number, wireLen: number)")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Uint8Array data = info[1].As<Napi::Uint8Array>();
  int64_t capLen = info[2].As<Napi::Number>().Int64Value();
  int64_t wireLen = info[3].As<Napi::Number>().Int64Value();
  if (capLen < 0 || static_cast<uint64_t>(capLen) > data.ElementLength() || wireLen < 0 || wireLen > 0xffffffffLL) {
    Napi::RangeError::New(env, "capLen must be within data, wireLen a u32").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  if (insns.empty()) return Napi::Number::New(env, 0);  // bpf_filter(NULL) would accept all
  // libpcap's bpf_filter does not validate: only run programs that bpf_validate accepts.
  if (!bpf_validate(insns.data(), static_cast<int>(insns.size()))) {
    Napi::Error::New(env, "offlineFilter: invalid BPF program").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  static const u_char empty[1] = {0};
  const u_char* pkt = data.ElementLength() > 0 ? data.Data() : empty;
  u_int r = bpf_filter(insns.data(), pkt, static_cast<u_int>(wireLen), static_cast<u_int>(capLen));
  return Napi::Number::New(env, r);
}

// validate(prog) -> bpf_validate(prog) != 0
Napi::Value Validate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  thread_local std::vector<struct bpf_insn> insns;
  if (info.Length() < 1 || !ReadProgram(env, info[0], insns)) return env.Undefined();
  if (insns.empty()) return Napi::Boolean::New(env, false);
  return Napi::Boolean::New(env, bpf_validate(insns.data(), static_cast<int>(insns.size())) != 0);
}

Napi::Value LibVersion(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), pcap_lib_version());
}

// ---------------------------------------------------------------------------------------------
// Devices

Napi::Value SockaddrValue(Napi::Env env, const struct sockaddr* sa) {
  if (sa == nullptr) return env.Undefined();
  char buf[INET6_ADDRSTRLEN + 1];
  switch (sa->sa_family) {
    case AF_INET:
      if (inet_ntop(AF_INET, &reinterpret_cast<const struct sockaddr_in*>(sa)->sin_addr, buf, sizeof buf))
        return Napi::String::New(env, buf);
      break;
    case AF_INET6:
      if (inet_ntop(AF_INET6, &reinterpret_cast<const struct sockaddr_in6*>(sa)->sin6_addr, buf, sizeof buf))
        return Napi::String::New(env, buf);
      break;
#ifdef __linux__
    case AF_PACKET: {
      const struct sockaddr_ll* ll = reinterpret_cast<const struct sockaddr_ll*>(sa);
      std::string s;
      char h[4];
      for (int i = 0; i < ll->sll_halen && i < 8; i++) {
        snprintf(h, sizeof h, i ? ":%02x" : "%02x", ll->sll_addr[i]);
        s += h;
      }
      return Napi::String::New(env, s);
    }
#endif
  }
  return env.Undefined();
}

const char* FamilyName(int family) {
  switch (family) {
    case AF_INET: return "inet";
    case AF_INET6: return "inet6";
#ifdef __linux__
    case AF_PACKET: return "link";
#endif
  }
  return nullptr;
}

// findAllDevs() -> [{ name, description, flags, addresses: [{ family, addr, netmask, broadaddr, dstaddr }] }]
Napi::Value FindAllDevs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  char errbuf[PCAP_ERRBUF_SIZE] = "";
  pcap_if_t* devs = nullptr;
  if (pcap_findalldevs(&devs, errbuf) < 0) {
    Napi::Error::New(env, errbuf).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Array out = Napi::Array::New(env);
  uint32_t n = 0;
  for (pcap_if_t* d = devs; d != nullptr; d = d->next) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("name", d->name);
    if (d->description) o.Set("description", d->description);
    o.Set("flags", Napi::Number::New(env, d->flags));
    Napi::Array addrs = Napi::Array::New(env);
    uint32_t m = 0;
    for (pcap_addr_t* a = d->addresses; a != nullptr; a = a->next) {
      if (a->addr == nullptr) continue;
      const char* fam = FamilyName(a->addr->sa_family);
      if (fam == nullptr) continue;
      Napi::Object ao = Napi::Object::New(env);
      ao.Set("family", fam);
      ao.Set("addr", SockaddrValue(env, a->addr));
      if (a->netmask && a->netmask->sa_family == a->addr->sa_family) ao.Set("netmask", SockaddrValue(env, a->netmask));
      if (a->broadaddr && a->broadaddr->sa_family == a->addr->sa_family) ao.Set("broadaddr", SockaddrValue(env, a->broadaddr));
      if (a->dstaddr && a->dstaddr->sa_family == a->addr->sa_family) ao.Set("dstaddr", SockaddrValue(env, a->dstaddr));
      addrs.Set(m++, ao);
    }
    o.Set("addresses", addrs);
    out.Set(n++, o);
  }
  pcap_freealldevs(devs);
  return out;
}

// datalinkName(linkType) -> [name, description] or null (pcap_datalink_val_to_name / _description)
Napi::Value DatalinkName(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) return env.Null();
  int dlt = LinktypeToDlt(info[0].As<Napi::Number>().Int32Value());
  const char* name = pcap_datalink_val_to_name(dlt);
  const char* desc = pcap_datalink_val_to_description(dlt);
  if (name == nullptr) return env.Null();
  Napi::Array a = Napi::Array::New(env, 2);
  a.Set(0u, name);
  a.Set(1u, desc ? desc : name);
  return a;
}

// getpwnam(name) -> { uid, gid } or null (for -Z: tcpdump's droproot uses the user's own group).
Napi::Value GetPwnam(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) return env.Null();
  std::string name = info[0].As<Napi::String>().Utf8Value();
  struct passwd pw;
  struct passwd* res = nullptr;
  std::vector<char> buf(16384);
  if (getpwnam_r(name.c_str(), &pw, buf.data(), buf.size(), &res) != 0 || res == nullptr) return env.Null();
  Napi::Object o = Napi::Object::New(env);
  o.Set("uid", Napi::Number::New(env, pw.pw_uid));
  o.Set("gid", Napi::Number::New(env, pw.pw_gid));
  return o;
}

// ---------------------------------------------------------------------------------------------
// Live capture

// Throws an Error with `.status` (libpcap's PCAP_ERROR_* value) and `.code` for the JS side.
void ThrowPcap(Napi::Env env, const std::string& msg, int status) {
  Napi::Error e = Napi::Error::New(env, msg);
  e.Set("status", Napi::Number::New(env, status));
  const char* code = "EPCAP";
  switch (status) {
    case PCAP_ERROR_NO_SUCH_DEVICE: code = "ENODEV"; break;
    case PCAP_ERROR_PERM_DENIED:
    case PCAP_ERROR_PROMISC_PERM_DENIED: code = "EPERM"; break;
    case PCAP_ERROR_IFACE_NOT_UP: code = "ENETDOWN"; break;
    case PCAP_ERROR_TSTAMP_PRECISION_NOTSUP: code = "ETSTAMP"; break;
    default: break;
  }
  e.Set("code", code);
  e.ThrowAsJavaScriptException();
}

// Where pcap_dispatch's callback stores packets during one fill().
struct FillState {
  pcap_t* handle;
  uint8_t* data;
  size_t dataLen;
  size_t dataPos;
  uint32_t* offset;
  uint32_t* capLen;
  uint32_t* wireLen;
  double* tsSec;
  uint32_t* tsNsec;
  uint16_t* linkType;
  uint32_t slots;
  uint32_t count;
  uint32_t snap;
  uint32_t nsecMul;  // 1000 for microsecond precision, 1 for nanosecond
  uint16_t dlt;
  bool full;
};

void OnPacket(u_char* user, const struct pcap_pkthdr* h, const u_char* bytes) {
  FillState* s = reinterpret_cast<FillState*>(user);
  if (s->full) return;  // cannot happen (we break the loop), but never overflow
  uint32_t cap = h->caplen;
  size_t room = s->dataLen - s->dataPos;
  if (cap > room) cap = static_cast<uint32_t>(room);
  uint32_t i = s->count;
  memcpy(s->data + s->dataPos, bytes, cap);
  s->offset[i] = static_cast<uint32_t>(s->dataPos);
  s->capLen[i] = cap;
  s->wireLen[i] = h->len;
  s->tsSec[i] = static_cast<double>(h->ts.tv_sec);
  s->tsNsec[i] = static_cast<uint32_t>(h->ts.tv_usec) * s->nsecMul;
  s->linkType[i] = s->dlt;
  s->dataPos += cap;
  s->count = i + 1;
  if (s->count >= s->slots || s->dataLen - s->dataPos < s->snap) {
    s->full = true;
    pcap_breakloop(s->handle);
  }
}

// Heap-allocated so that it outlives the Capture object until libuv's close callback.
struct PollHandle {
  uv_poll_t poll;
  class Capture* owner;
};

class Capture : public Napi::ObjectWrap<Capture> {
 public:
  static Napi::Function Init(Napi::Env env) {
    return DefineClass(env, "Capture",
                       {
                           InstanceMethod("fill", &Capture::Fill),
                           InstanceMethod("wait", &Capture::Wait),
                           InstanceMethod("cancel", &Capture::Cancel),
                           InstanceMethod("stats", &Capture::Stats),
                           InstanceMethod("close", &Capture::Close),
                           InstanceMethod("datalinks", &Capture::Datalinks),
                           InstanceAccessor("linkType", &Capture::GetLinkType, nullptr),
                           InstanceAccessor("snaplen", &Capture::GetSnaplen, nullptr),
                           InstanceAccessor("nano", &Capture::GetNano, nullptr),
                           InstanceAccessor("warning", &Capture::GetWarning, nullptr),
                       });
  }

  // new Capture(device, options, batch) where options = { snaplen, promisc, immediate, timeoutMs,
  // bufferSize, nano, filter, linkType } and batch = { data, offset, capLen, wireLen, tsSec,
  // tsNsec, linkType } (the PacketBatch's arrays).
  explicit Capture(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Capture>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 3 || !info[0].IsString() || !info[1].IsObject() || !info[2].IsObject()) {
      Napi::TypeError::New(env, "new Capture(device: string, options: object, batch: object)").ThrowAsJavaScriptException();
      return;
    }
    std::string dev = info[0].As<Napi::String>().Utf8Value();
    Napi::Object o = info[1].As<Napi::Object>();
    Napi::Object b = info[2].As<Napi::Object>();
    if (!TakeArray(env, b, "data", napi_uint8_array, data_) || !TakeArray(env, b, "offset", napi_uint32_array, offset_) ||
        !TakeArray(env, b, "capLen", napi_uint32_array, capLen_) || !TakeArray(env, b, "wireLen", napi_uint32_array, wireLen_) ||
        !TakeArray(env, b, "tsSec", napi_float64_array, tsSec_) || !TakeArray(env, b, "tsNsec", napi_uint32_array, tsNsec_) ||
        !TakeArray(env, b, "linkType", napi_uint16_array, linkType_)) {
      return;
    }
    int snaplen = IntOpt(o, "snaplen", 262144);
    bool promisc = BoolOpt(o, "promisc", true);
    bool immediate = BoolOpt(o, "immediate", false);
    int timeoutMs = IntOpt(o, "timeoutMs", 1000);
    int bufferSize = IntOpt(o, "bufferSize", 0);
    bool nano = BoolOpt(o, "nano", false);
    int wantDlt = IntOpt(o, "linkType", -1);
    bool optimize = BoolOpt(o, "optimize", true);
    std::string filter;
    if (o.Has("filter") && o.Get("filter").IsString()) filter = o.Get("filter").As<Napi::String>().Utf8Value();

    char errbuf[PCAP_ERRBUF_SIZE] = "";
    pcap_t* p = pcap_create(dev.c_str(), errbuf);
    if (p == nullptr) {
      ThrowPcap(env, errbuf, PCAP_ERROR);
      return;
    }
    pcap_set_snaplen(p, snaplen);
    pcap_set_promisc(p, promisc ? 1 : 0);
    pcap_set_timeout(p, timeoutMs);
    if (immediate) pcap_set_immediate_mode(p, 1);
    if (bufferSize > 0) pcap_set_buffer_size(p, bufferSize);
    if (nano) {
      int r = pcap_set_tstamp_precision(p, PCAP_TSTAMP_PRECISION_NANO);
      if (r != 0) {
        pcap_close(p);
        ThrowPcap(env, dev + ": Can't set nanosecond time stamp precision: " + pcap_statustostr(r), r);
        return;
      }
    }
    int st = pcap_activate(p);
    if (st < 0) {
      // tcpdump: "DEV: <status text>" and, when libpcap says more, "(<detail>)".
      std::string detail = pcap_geterr(p);
      std::string msg = dev + ": ";
      if (st == PCAP_ERROR) {
        msg += detail;
      } else {
        msg += pcap_statustostr(st);
        if (!detail.empty() && detail != pcap_statustostr(st)) msg += " (" + detail + ")";
      }
      pcap_close(p);
      ThrowPcap(env, msg, st);
      return;
    }
    if (st > 0) {
      std::string detail = pcap_geterr(p);
      warning_ = dev + ": " + (st == PCAP_WARNING ? detail : std::string(pcap_statustostr(st)));
      if (st != PCAP_WARNING && !detail.empty()) warning_ += " (" + detail + ")";
    }
    if (wantDlt >= 0 && pcap_set_datalink(p, LinktypeToDlt(wantDlt)) < 0) {
      // tcpdump: "LINUX_SLL is not one of the DLTs supported by this device", no device prefix
      std::string msg = pcap_geterr(p);
      pcap_close(p);
      ThrowPcap(env, msg, PCAP_ERROR);
      return;
    }
    if (!filter.empty()) {
      bpf_u_int32 net = 0, mask = 0;
      if (pcap_lookupnet(dev.c_str(), &net, &mask, errbuf) < 0) {
        net = 0;
        mask = 0;
      }
      struct bpf_program prog;
      if (pcap_compile(p, &prog, filter.c_str(), optimize ? 1 : 0, mask) < 0) {
        std::string msg = pcap_geterr(p);
        pcap_close(p);
        ThrowPcap(env, msg, -100);  // code EPCAP, status -100: filter compile error
        return;
      }
      if (pcap_setfilter(p, &prog) < 0) {
        std::string msg = pcap_geterr(p);
        pcap_freecode(&prog);
        pcap_close(p);
        ThrowPcap(env, msg, PCAP_ERROR);
        return;
      }
      pcap_freecode(&prog);
    }
    if (pcap_setnonblock(p, 1, errbuf) < 0) {
      pcap_close(p);
      ThrowPcap(env, errbuf, PCAP_ERROR);
      return;
    }
    fd_ = pcap_get_selectable_fd(p);
    if (fd_ < 0) {
      pcap_close(p);
      ThrowPcap(env, dev + ": no selectable file descriptor", PCAP_ERROR);
      return;
    }
    handle_ = p;
    dlt_ = DltToLinktype(pcap_datalink(p));  // batches and files carry LINKTYPE_* values
    snap_ = pcap_snapshot(p);
    nano_ = pcap_get_tstamp_precision(p) == PCAP_TSTAMP_PRECISION_NANO;
  }

  ~Capture() override { Shutdown(); }

 private:
  template <typename T>
  bool TakeArray(Napi::Env env, Napi::Object b, const char* key, napi_typedarray_type type, Napi::Reference<T>& ref) {
    Napi::Value v = b.Get(key);
    if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != type) {
      Napi::TypeError::New(env, std::string("batch.") + key + " has the wrong type").ThrowAsJavaScriptException();
      return false;
    }
    ref = Napi::Persistent(v.As<T>());
    return true;
  }

  static int IntOpt(Napi::Object o, const char* key, int dflt) {
    Napi::Value v = o.Get(key);
    return v.IsNumber() ? v.As<Napi::Number>().Int32Value() : dflt;
  }
  static bool BoolOpt(Napi::Object o, const char* key, bool dflt) {
    Napi::Value v = o.Get(key);
    return v.IsBoolean() ? v.As<Napi::Boolean>().Value() : dflt;
  }

  bool CheckOpen(Napi::Env env) {
    if (handle_ == nullptr) {
      Napi::Error::New(env, "capture is closed").ThrowAsJavaScriptException();
      return false;
    }
    return true;
  }

  // fill() -> number of packets stored in the batch arrays (0: nothing ready now).
  Napi::Value Fill(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!CheckOpen(env)) return env.Undefined();
    // Pointers are fetched on every call: the arrays are alive (referenced) but we do not assume
    // their backing stores never move between calls.
    Napi::Uint8Array data = data_.Value();
    Napi::Uint32Array offset = offset_.Value();
    FillState s;
    s.handle = handle_;
    s.data = data.Data();
    s.dataLen = data.ElementLength();
    s.dataPos = 0;
    s.offset = offset.Data();
    s.capLen = capLen_.Value().Data();
    s.wireLen = wireLen_.Value().Data();
    s.tsSec = tsSec_.Value().Data();
    s.tsNsec = tsNsec_.Value().Data();
    s.linkType = linkType_.Value().Data();
    size_t slots = offset.ElementLength();
    if (capLen_.Value().ElementLength() < slots) slots = capLen_.Value().ElementLength();
    if (wireLen_.Value().ElementLength() < slots) slots = wireLen_.Value().ElementLength();
    if (tsSec_.Value().ElementLength() < slots) slots = tsSec_.Value().ElementLength();
    if (tsNsec_.Value().ElementLength() < slots) slots = tsNsec_.Value().ElementLength();
    if (linkType_.Value().ElementLength() < slots) slots = linkType_.Value().ElementLength();
    s.slots = static_cast<uint32_t>(slots);
    s.count = 0;
    s.snap = static_cast<uint32_t>(snap_ > 0 ? snap_ : 262144);
    s.nsecMul = nano_ ? 1 : 1000;
    s.dlt = static_cast<uint16_t>(dlt_);
    s.full = s.slots == 0 || s.dataLen < s.snap;
    if (s.full) {
      Napi::RangeError::New(env, "batch has no slots or its data buffer is smaller than the snapshot length")
          .ThrowAsJavaScriptException();
      return env.Undefined();
    }
    // A stale break request (set on the last packet of the previous fill) makes one dispatch
    // return PCAP_ERROR_BREAK without delivering anything; retry at most a few times.
    int breaks = 0;
    while (!s.full) {
      int r = pcap_dispatch(handle_, -1, OnPacket, reinterpret_cast<u_char*>(&s));
      if (r == PCAP_ERROR_BREAK) {
        if (s.full || ++breaks > 2) break;
        continue;
      }
      if (r < 0) {
        ThrowPcap(env, pcap_geterr(handle_), r);
        return env.Undefined();
      }
      if (r == 0) break;
    }
    return Napi::Number::New(env, s.count);
  }

  // wait(cb): calls cb(null) once when the descriptor is readable, cb(message) on a poll error.
  Napi::Value Wait(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!CheckOpen(env)) return env.Undefined();
    if (info.Length() < 1 || !info[0].IsFunction()) {
      Napi::TypeError::New(env, "wait(cb: function)").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    if (poll_ == nullptr) {
      uv_loop_t* loop = nullptr;
      if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr) {
        Napi::Error::New(env, "no event loop").ThrowAsJavaScriptException();
        return env.Undefined();
      }
      poll_ = new PollHandle();
      poll_->owner = this;
      int r = uv_poll_init(loop, &poll_->poll, fd_);
      if (r != 0) {
        delete poll_;
        poll_ = nullptr;
        Napi::Error::New(env, std::string("uv_poll_init: ") + uv_strerror(r)).ThrowAsJavaScriptException();
        return env.Undefined();
      }
      poll_->poll.data = poll_;
    }
    callback_ = Napi::Persistent(info[0].As<Napi::Function>());
    if (!asyncContext_) asyncContext_.reset(new Napi::AsyncContext(env, "portscope.capture"));
    int r = uv_poll_start(&poll_->poll, UV_READABLE, OnReadable);
    if (r != 0) {
      callback_.Reset();
      Napi::Error::New(env, std::string("uv_poll_start: ") + uv_strerror(r)).ThrowAsJavaScriptException();
      return env.Undefined();
    }
    // While waiting, the wrapper must not be collected (the poll holds a raw pointer to it).
    if (!waiting_) {
      Ref();
      waiting_ = true;
    }
    return env.Undefined();
  }

  static void OnReadable(uv_poll_t* h, int status, int events) {
    (void)events;
    PollHandle* ph = static_cast<PollHandle*>(h->data);
    Capture* self = ph->owner;
    if (self == nullptr) return;
    uv_poll_stop(h);
    self->Deliver(status < 0 ? uv_strerror(status) : nullptr);
  }

  void Deliver(const char* err) {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    Napi::Function cb = callback_.IsEmpty() ? Napi::Function() : callback_.Value();
    callback_.Reset();
    if (waiting_) {
      waiting_ = false;
      Unref();
    }
    if (cb.IsEmpty()) return;
    Napi::Value arg = err ? Napi::Value(Napi::String::New(env, err)) : Napi::Value(env.Null());
    try {
      cb.MakeCallback(Value(), {arg}, *asyncContext_);
    } catch (const Napi::Error& e) {
      napi_fatal_exception(env, e.Value());
    }
  }

  // cancel(): disarms a pending wait without calling its callback.
  Napi::Value Cancel(const Napi::CallbackInfo& info) {
    if (poll_ != nullptr) uv_poll_stop(&poll_->poll);
    callback_.Reset();
    if (waiting_) {
      waiting_ = false;
      Unref();
    }
    return info.Env().Undefined();
  }

  // stats() -> { received, dropped, ifDropped } from pcap_stats.
  Napi::Value Stats(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!CheckOpen(env)) return env.Undefined();
    struct pcap_stat ps;
    memset(&ps, 0, sizeof ps);
    if (pcap_stats(handle_, &ps) < 0) {
      ThrowPcap(env, std::string("pcap_stats: ") + pcap_geterr(handle_), PCAP_ERROR);
      return env.Undefined();
    }
    Napi::Object o = Napi::Object::New(env);
    o.Set("received", Napi::Number::New(env, ps.ps_recv));
    o.Set("dropped", Napi::Number::New(env, ps.ps_drop));
    o.Set("ifDropped", Napi::Number::New(env, ps.ps_ifdrop));
    return o;
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    if (waiting_) {
      waiting_ = false;
      Unref();
    }
    callback_.Reset();
    Shutdown();
    return info.Env().Undefined();
  }

  void Shutdown() {
    if (poll_ != nullptr) {
      poll_->owner = nullptr;
      uv_poll_stop(&poll_->poll);
      uv_close(reinterpret_cast<uv_handle_t*>(&poll_->poll),
               [](uv_handle_t* h) { delete static_cast<PollHandle*>(h->data); });
      poll_ = nullptr;
    }
    if (handle_ != nullptr) {
      pcap_close(handle_);  // after uv_close has stopped watching the descriptor
      handle_ = nullptr;
    }
  }

  // datalinks() -> LINKTYPE_* values the device offers (pcap_list_datalinks), in libpcap's order.
  Napi::Value Datalinks(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!CheckOpen(env)) return env.Undefined();
    int* dlts = nullptr;
    int n = pcap_list_datalinks(handle_, &dlts);
    if (n < 0) {
      ThrowPcap(env, pcap_geterr(handle_), PCAP_ERROR);
      return env.Undefined();
    }
    Napi::Array out = Napi::Array::New(env, n);
    for (int i = 0; i < n; i++) out.Set(static_cast<uint32_t>(i), Napi::Number::New(env, DltToLinktype(dlts[i])));
    pcap_free_datalinks(dlts);
    return out;
  }
  Napi::Value GetLinkType(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), dlt_); }
  Napi::Value GetSnaplen(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), snap_); }
  Napi::Value GetNano(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), nano_); }
  Napi::Value GetWarning(const Napi::CallbackInfo& info) {
    if (warning_.empty()) return info.Env().Null();
    return Napi::String::New(info.Env(), warning_);
  }

  pcap_t* handle_ = nullptr;
  int fd_ = -1;
  int dlt_ = -1;
  int snap_ = 0;
  bool nano_ = false;
  bool waiting_ = false;
  std::string warning_;
  PollHandle* poll_ = nullptr;
  Napi::FunctionReference callback_;
  std::unique_ptr<Napi::AsyncContext> asyncContext_;
  Napi::Reference<Napi::Uint8Array> data_;
  Napi::Reference<Napi::Uint32Array> offset_;
  Napi::Reference<Napi::Uint32Array> capLen_;
  Napi::Reference<Napi::Uint32Array> wireLen_;
  Napi::Reference<Napi::Float64Array> tsSec_;
  Napi::Reference<Napi::Uint32Array> tsNsec_;
  Napi::Reference<Napi::Uint16Array> linkType_;
};

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("compile", Napi::Function::New(env, Compile, "compile"));
  exports.Set("compileSavefile", Napi::Function::New(env, CompileSavefile, "compileSavefile"));
  exports.Set("offlineFilter", Napi::Function::New(env, OfflineFilter, "offlineFilter"));
  exports.Set("validate", Napi::Function::New(env, Validate, "validate"));
  exports.Set("libVersion", Napi::Function::New(env, LibVersion, "libVersion"));
  exports.Set("findAllDevs", Napi::Function::New(env, FindAllDevs, "findAllDevs"));
  exports.Set("datalinkName", Napi::Function::New(env, DatalinkName, "datalinkName"));
  exports.Set("getpwnam", Napi::Function::New(env, GetPwnam, "getpwnam"));
  exports.Set("compileDead", Napi::Function::New(env, CompileDead, "compileDead"));
  exports.Set("image", Napi::Function::New(env, Image, "image"));
  exports.Set("datalinkNameToVal", Napi::Function::New(env, DatalinkNameToVal, "datalinkNameToVal"));
  exports.Set("Capture", Capture::Init(env));
  return exports;
}

}  // namespace

NODE_API_MODULE(portscope, Init)
