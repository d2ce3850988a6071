// XLA FFI handlers that launch ahead-of-time compiled Taichi kernels.
//
// Built and loaded by `multiarea/ops/_build.py`; used by
// `multiarea/ops/_xla_custom_op.py`.  Nothing here calls back into Python.
//
// Call contract (set up by `_xla_custom_op.py` through `jax.ffi.ffi_call`):
//   operands : the kernel's input ndarrays, in kernel-parameter order,
//              possibly followed by extra operands that only provide aliased
//              (pre-zeroed) result buffers and are not passed to the kernel;
//   results  : the kernel's output ndarrays, in kernel-parameter order;
//   attributes:
//     module_dir   (string) directory of a module saved by `ti.aot.Module`;
//     kernel       (string) name of the kernel inside that module;
//     arch         (int64)  TiArch value of the module (TI_ARCH_X64, ...);
//     num_inputs   (int64)  number of leading operands passed to the kernel;
//     zero_outputs (int64[num_results]) 1 = memset that result to zero
//                  before the launch (CPU only), 0 = leave it untouched
//                  (used for results aliased to an operand);
//     repeat       (int64 >= 1) launch the kernel this many times in a row on
//                  the same buffers (e.g. K time steps of a kernel that keeps
//                  its step counter in one of them), waiting once at the end.
//
// Every operand/result becomes a TiNdArray whose shape is the XLA buffer's
// shape and whose element type is derived from the XLA dtype (PRED is passed
// as TI_DATA_TYPE_U8).  Buffers are imported zero-copy with
// `ti_import_cpu_memory` / `ti_import_cuda_memory`.
//
// Caching: one TiRuntime per (arch, device), one TiAotModule per module
// directory, one TiKernel per (module, kernel name), and one imported TiMemory
// per (pointer, size) pair, all kept for the life of the process.  Taichi 1.7
// cannot release imported CPU memory records, so re-using the TiMemory of an
// address that XLA hands out again keeps the record table bounded by the set
// of distinct buffer addresses (constant inside a jitted loop).  All state is
// guarded by one mutex, which also serialises launches: a Taichi runtime is
// not safe for concurrent launches, and the CPU backend already parallelises
// each kernel's outermost loop across all cores.

#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "taichi/taichi_core.h"
#include "taichi/taichi_cpu.h"
#ifdef MULTIAREA_WITH_CUDA
#include "taichi/taichi_cuda.h"
#endif
#include "xla/ffi/api/ffi.h"

namespace ffi = xla::ffi;

namespace {

struct LoadedModule {
  TiAotModule module = TI_NULL_HANDLE;
  std::map<std::string, TiKernel, std::less<>> kernels;
};

struct RuntimeState {
  TiArch arch = TI_ARCH_RESERVED;
  TiRuntime runtime = TI_NULL_HANDLE;
  std::map<std::string, LoadedModule, std::less<>> modules;
  std::map<std::pair<void *, uint64_t>, TiMemory> imported;
};

std::mutex g_mutex;
std::map<std::pair<int64_t, int32_t>, std::unique_ptr<RuntimeState>> g_runtimes;

// Returns and clears Taichi's last error; empty string if there is none.
std::string TakeTaichiError() {
  uint64_t size = 0;
  TiError code = ti_get_last_error(&size, nullptr);
  if (code == TI_ERROR_SUCCESS) return {};
  std::string message(size, '\0');
  ti_get_last_error(&size, message.data());
  message.resize(std::strlen(message.c_str()));
  ti_set_last_error(TI_ERROR_SUCCESS, nullptr);
  return "Taichi error " + std::to_string(static_cast<int>(code)) + ": " +
         message;
}

// Looks up (loading on first use) the kernel `kernel_name` of the AOT module
// in `module_dir` for runtime (arch, device).  Caller must hold g_mutex.
// On failure returns nullptr and writes a message to `error`.
TiKernel GetKernel(int64_t arch, int32_t device, std::string_view module_dir,
                   std::string_view kernel_name, RuntimeState **state_out,
                   std::string *error) {
  auto &slot = g_runtimes[{arch, device}];
  if (!slot) {
    TakeTaichiError();
    TiRuntime runtime =
        ti_create_runtime(static_cast<TiArch>(arch), static_cast<uint32_t>(device));
    if (runtime == TI_NULL_HANDLE) {
      *error = "ti_create_runtime(arch=" + std::to_string(arch) +
               ", device=" + std::to_string(device) + ") failed. " +
               TakeTaichiError();
      g_runtimes.erase({arch, device});
      return TI_NULL_HANDLE;
    }
    slot = std::make_unique<RuntimeState>();
    slot->arch = static_cast<TiArch>(arch);
    slot->runtime = runtime;
  }
  RuntimeState &state = *slot;
  *state_out = &state;

  auto module_it = state.modules.find(module_dir);
  if (module_it == state.modules.end()) {
    std::string path(module_dir);
    TakeTaichiError();
    TiAotModule module = ti_load_aot_module(state.runtime, path.c_str());
    if (module == TI_NULL_HANDLE) {
      *error = "ti_load_aot_module('" + path + "') failed. " + TakeTaichiError();
      return TI_NULL_HANDLE;
    }
    module_it = state.modules.emplace(path, LoadedModule{module, {}}).first;
  }
  LoadedModule &loaded = module_it->second;

  auto kernel_it = loaded.kernels.find(kernel_name);
  if (kernel_it == loaded.kernels.end()) {
    std::string name(kernel_name);
    TakeTaichiError();
    TiKernel kernel = ti_get_aot_module_kernel(loaded.module, name.c_str());
    if (kernel == TI_NULL_HANDLE) {
      *error = "kernel '" + name + "' not found in AOT module '" +
               std::string(module_dir) + "'. " + TakeTaichiError();
      return TI_NULL_HANDLE;
    }
    kernel_it = loaded.kernels.emplace(std::move(name), kernel).first;
  }
  return kernel_it->second;
}

bool ToTaichiType(ffi::DataType dtype, TiDataType *out) {
  switch (dtype) {
    case ffi::DataType::F16: *out = TI_DATA_TYPE_F16; return true;
    case ffi::DataType::F32: *out = TI_DATA_TYPE_F32; return true;
    case ffi::DataType::F64: *out = TI_DATA_TYPE_F64; return true;
    case ffi::DataType::S8: *out = TI_DATA_TYPE_I8; return true;
    case ffi::DataType::S16: *out = TI_DATA_TYPE_I16; return true;
    case ffi::DataType::S32: *out = TI_DATA_TYPE_I32; return true;
    case ffi::DataType::S64: *out = TI_DATA_TYPE_I64; return true;
    case ffi::DataType::PRED:  // one byte per element, 0 or 1
    case ffi::DataType::U8: *out = TI_DATA_TYPE_U8; return true;
    case ffi::DataType::U16: *out = TI_DATA_TYPE_U16; return true;
    case ffi::DataType::U32: *out = TI_DATA_TYPE_U32; return true;
    case ffi::DataType::U64: *out = TI_DATA_TYPE_U64; return true;
    default: return false;
  }
}

using ImportFn = TiMemory (*)(TiRuntime, void *, size_t);

// Fills `arg` with an ndarray view of `buffer`.  Caller must hold g_mutex.
ffi::Error MakeNdArray(RuntimeState &state, ImportFn import_memory,
                       const ffi::AnyBuffer &buffer, size_t position,
                       TiArgument *arg) {
  static char empty_storage[16];
  TiNdArray &nd = arg->value.ndarray;
  arg->type = TI_ARGUMENT_TYPE_NDARRAY;
  if (!ToTaichiType(buffer.element_type(), &nd.elem_type)) {
    return ffi::Error::InvalidArgument(
        "taichi custom call: unsupported dtype for kernel argument #" +
        std::to_string(position));
  }
  auto dims = buffer.dimensions();
  if (dims.size() > 16) {
    return ffi::Error::InvalidArgument(
        "taichi custom call: kernel argument #" + std::to_string(position) +
        " has more than 16 dimensions");
  }
  nd.shape.dim_count = static_cast<uint32_t>(dims.size());
  for (size_t d = 0; d < dims.size(); ++d) {
    nd.shape.dims[d] = static_cast<uint32_t>(dims[d]);
  }
  nd.elem_shape.dim_count = 0;

  void *ptr = buffer.untyped_data();
  uint64_t size = buffer.size_bytes();
  if (ptr == nullptr || size == 0) {  // empty arrays: never dereferenced
    ptr = empty_storage;
    size = 0;
  }
  auto key = std::make_pair(ptr, size);
  auto it = state.imported.find(key);
  if (it == state.imported.end()) {
    TiMemory memory = import_memory(state.runtime, ptr, size);
    if (memory == TI_NULL_HANDLE) {
      return ffi::Error::Internal("taichi custom call: importing buffer of "
                                  "kernel argument #" +
                                  std::to_string(position) + " failed. " +
                                  TakeTaichiError());
    }
    it = state.imported.emplace(key, memory).first;
  }
  nd.memory = it->second;
  return ffi::Error::Success();
}

// Shared body of the CPU and CUDA handlers.
ffi::Error Launch(int64_t arch, int32_t device, ImportFn import_memory,
                  bool on_host, ffi::RemainingArgs args,
                  ffi::RemainingRets rets, std::string_view module_dir,
                  std::string_view kernel_name, int64_t num_inputs,
                  ffi::Span<const int64_t> zero_outputs, int64_t repeat) {
  if (repeat < 1) {
    return ffi::Error::InvalidArgument(
        "taichi custom call: 'repeat' must be >= 1");
  }
  if (num_inputs < 0 || static_cast<size_t>(num_inputs) > args.size()) {
    return ffi::Error::InvalidArgument(
        "taichi custom call: 'num_inputs' exceeds the number of operands");
  }
  const size_t n_in = static_cast<size_t>(num_inputs);
  const size_t n_out = rets.size();
  if (zero_outputs.size() != n_out) {
    return ffi::Error::InvalidArgument(
        "taichi custom call: 'zero_outputs' must have one entry per result");
  }
  thread_local std::vector<TiArgument> ti_args;
  ti_args.resize(n_in + n_out);

  std::lock_guard<std::mutex> lock(g_mutex);
  RuntimeState *state = nullptr;
  std::string error;
  TiKernel kernel =
      GetKernel(arch, device, module_dir, kernel_name, &state, &error);
  if (kernel == TI_NULL_HANDLE) return ffi::Error::Internal(error);

  for (size_t i = 0; i < n_in; ++i) {
    auto buffer = args.get<ffi::AnyBuffer>(i);
    if (buffer.has_error()) return buffer.error();
    ffi::Error err =
        MakeNdArray(*state, import_memory, *buffer, i, &ti_args[i]);
    if (err.failure()) return err;
  }
  for (size_t j = 0; j < n_out; ++j) {
    auto result = rets.get<ffi::AnyBuffer>(j);
    if (result.has_error()) return result.error();
    ffi::AnyBuffer buffer = **result;
    if (on_host && zero_outputs[j] != 0 && buffer.size_bytes() > 0) {
      std::memset(buffer.untyped_data(), 0, buffer.size_bytes());
    }
    ffi::Error err = MakeNdArray(*state, import_memory, buffer, n_in + j,
                                 &ti_args[n_in + j]);
    if (err.failure()) return err;
  }

  for (int64_t i = 0; i < repeat; ++i) {
    ti_launch_kernel(state->runtime, kernel,
                     static_cast<uint32_t>(ti_args.size()), ti_args.data());
  }
  if (on_host) ti_wait(state->runtime);
  std::string launch_error = TakeTaichiError();
  if (!launch_error.empty()) {
    return ffi::Error::Internal("taichi custom call: launching kernel '" +
                                std::string(kernel_name) + "' of '" +
                                std::string(module_dir) +
                                "' failed. " + launch_error);
  }
  return ffi::Error::Success();
}

ffi::Error CpuImpl(ffi::RemainingArgs args, ffi::RemainingRets rets,
                   std::string_view module_dir, std::string_view kernel_name,
                   int64_t arch, int64_t num_inputs,
                   ffi::Span<const int64_t> zero_outputs, int64_t repeat) {
  return Launch(arch, 0, &ti_import_cpu_memory, /*on_host=*/true, args, rets,
                module_dir, kernel_name, num_inputs, zero_outputs, repeat);
}

#ifdef MULTIAREA_WITH_CUDA
// UNTESTED: no GPU was available when this was written.  Outputs are never
// zeroed here; the Python side aliases zero-filled operands instead.
ffi::Error CudaImpl(void *stream, int32_t device, ffi::RemainingArgs args,
                    ffi::RemainingRets rets, std::string_view module_dir,
                    std::string_view kernel_name, int64_t arch,
                    int64_t num_inputs, ffi::Span<const int64_t> zero_outputs,
                    int64_t repeat) {
  ti_set_cuda_stream(stream);
  return Launch(arch, device, &ti_import_cuda_memory, /*on_host=*/false, args,
                rets, module_dir, kernel_name, num_inputs, zero_outputs, repeat);
}
#endif

}  // namespace

XLA_FFI_DEFINE_HANDLER_SYMBOL(MultiareaTaichiCpu, CpuImpl,
                              ffi::Ffi::Bind()
                                  .RemainingArgs()
                                  .RemainingRets()
                                  .Attr<std::string_view>("module_dir")
                                  .Attr<std::string_view>("kernel")
                                  .Attr<int64_t>("arch")
                                  .Attr<int64_t>("num_inputs")
                                  .Attr<ffi::Span<const int64_t>>(
                                      "zero_outputs")
                                  .Attr<int64_t>("repeat"));

#ifdef MULTIAREA_WITH_CUDA
XLA_FFI_DEFINE_HANDLER_SYMBOL(MultiareaTaichiCuda, CudaImpl,
                              ffi::Ffi::Bind()
                                  .Ctx<ffi::PlatformStream<void *>>()
                                  .Ctx<ffi::DeviceOrdinal>()
                                  .RemainingArgs()
                                  .RemainingRets()
                                  .Attr<std::string_view>("module_dir")
                                  .Attr<std::string_view>("kernel")
                                  .Attr<int64_t>("arch")
                                  .Attr<int64_t>("num_inputs")
                                  .Attr<ffi::Span<const int64_t>>(
                                      "zero_outputs")
                                  .Attr<int64_t>("repeat"));
#endif

// Loads (and caches) a kernel outside of XLA so that a broken or incompatible
// module is reported at trace time.  Returns 0 on success; otherwise writes a
// NUL-terminated message of at most `error_len` bytes to `error`.
extern "C" __attribute__((visibility("default"))) int MultiareaTaichiPreload(
    int64_t arch, int32_t device, const char *module_dir,
    const char *kernel_name, char *error, size_t error_len) {
  std::lock_guard<std::mutex> lock(g_mutex);
  RuntimeState *state = nullptr;
  std::string message;
  if (GetKernel(arch, device, module_dir, kernel_name, &state, &message) !=
      TI_NULL_HANDLE) {
    return 0;
  }
  if (error_len > 0) {
    std::strncpy(error, message.c_str(), error_len - 1);
    error[error_len - 1] = '\0';
  }
  return 1;
}
