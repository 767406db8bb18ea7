//! Lua scripting as Redis 7.2 does it: EVAL scripts and FUNCTION
//! libraries in a sandboxed Lua 5.1, with every `redis.call` going back
//! through dispatch's checks ([`crate::session::Session::call_from_script`])
//! so a script can never do more than its caller's ACL user may.
//!
//! - `sandbox`: the VM, its libraries and the static `redis.*` API;
//! - `run`: one run (the per-run API, results, error replies);
//! - `convert`: reply ↔ Lua conversions;
//! - `libs/`: `bit`, `cjson`, `cmsgpack`, `struct`;
//! - `cache`: EVAL scripts by SHA-1; `functions`: FUNCTION libraries;
//! - `payload`: the FUNCTION DUMP format;
//! - `flags`: script flags; `busy`: the running script's state for BUSY
//!   and SCRIPT KILL; `random`: Redis's `math.random`; `sha1`.

pub mod busy;
pub mod cache;
pub mod convert;
pub mod flags;
pub mod functions;
pub mod libs;
pub mod lift;
pub mod payload;
pub mod random;
pub mod run;
pub mod sandbox;
pub mod sha1;

use bytes::Bytes;
use moat_resp::Frame;
use parking_lot::Mutex;
use random::Rand48;
use sandbox::{Vm, VmKind};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::Arc;

/// Instructions between two checks of the kill flag and the clock
/// (Redis checks every 100000).
const HOOK_INSTRUCTIONS: u32 = 100_000;

/// What `redis.call` asks of dispatch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScriptCallMode {
    /// Run the command (refusing writes when `read_only`, and `denyoom`
    /// commands when `deny_oom`).
    Execute { read_only: bool, deny_oom: bool },
    /// `redis.acl_check_cmd`: only ask whether the caller's user may.
    AclCheckOnly,
}

/// Why dispatch refused a command called from a script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScriptCallError {
    UnknownCommand,
    WrongArity,
    NotAllowedFromScript,
    /// The ACL denial text (`User u has no permissions to run the 'x' command`...).
    Acl(String),
    WriteInReadOnly,
    /// A `denyoom` command while the script's command started over
    /// `maxmemory`, before the script wrote anything.
    Oom,
}

impl ScriptCallError {
    /// The text Redis's `scriptCall` gives (the `ERR` code is added by
    /// the error table).
    pub fn message(&self) -> String {
        match self {
            ScriptCallError::UnknownCommand => "Unknown Redis command called from script".into(),
            ScriptCallError::WrongArity => {
                "Wrong number of args calling Redis command from script".into()
            }
            ScriptCallError::NotAllowedFromScript => {
                "This Redis command is not allowed from script".into()
            }
            ScriptCallError::Acl(text) => format!("ACL failure in script: {text}"),
            ScriptCallError::WriteInReadOnly => {
                "Write commands are not allowed from read-only scripts.".into()
            }
            // Redis's `shared.oomerr`: its code is OOM, not ERR.
            ScriptCallError::Oom => format!("-{}", crate::oom::OOM_ERROR),
        }
    }
}

/// A command that ran for a script.
pub struct ScriptCallReply {
    pub reply: Frame,
    /// It was a write command: the script can no longer be killed.
    pub wrote: bool,
}

/// The Lua VMs and what they hold. Locked for a whole script run.
pub struct Engine {
    pub eval: Vm,
    pub scripts: cache::ScriptCache,
    pub functions: Vm,
    pub libraries: functions::Libraries,
}

/// The scripting state of the server.
pub struct Scripting {
    pub engine: Mutex<Engine>,
    /// Readable while `engine` is locked by the running script.
    pub run: Arc<busy::RunState>,
    rand: Arc<Mutex<Rand48>>,
    /// FUNCTION STATS must answer while a function runs, without the engine.
    library_count: AtomicUsize,
    function_count: AtomicUsize,
    /// The libraries' codes, published with the counts: saves read them
    /// without the engine, which a script running FLUSHALL (and so the
    /// save of the save points) holds.
    codes: Mutex<Vec<Bytes>>,
    /// The engine's memory figures as last measured, for INFO and MEMORY
    /// asked while the engine is locked (from inside a script, which
    /// holds it: locking it again would never return).
    last_figures: Mutex<EngineFigures>,
}

/// What INFO memory and MEMORY STATS report about scripting.
#[derive(Debug, Clone, Copy, Default)]
pub struct EngineFigures {
    /// Memory of the EVAL and FUNCTION Lua VMs.
    pub eval_vm: u64,
    pub functions_vm: u64,
    /// The EVAL script cache and the libraries' names and codes.
    pub scripts_bytes: u64,
    pub functions_bytes: u64,
    pub cached_scripts: usize,
    pub functions: usize,
    pub libraries: usize,
}

impl EngineFigures {
    fn of(engine: &Engine) -> EngineFigures {
        let functions_bytes = engine
            .libraries
            .libraries
            .iter()
            .map(|(name, lib)| {
                crate::db::memory::block(name.len()) + crate::db::memory::block(lib.code.len())
            })
            .sum::<usize>();
        EngineFigures {
            eval_vm: engine.eval.lua.used_memory() as u64,
            functions_vm: engine.functions.lua.used_memory() as u64,
            scripts_bytes: engine.scripts.memory_bytes() as u64,
            functions_bytes: functions_bytes as u64,
            cached_scripts: engine.scripts.len(),
            functions: engine.libraries.function_count(),
            libraries: engine.libraries.libraries.len(),
        }
    }
}

impl Scripting {
    /// The engine's memory figures: measured now, or as last measured
    /// when the engine is busy (a running script holds it).
    pub fn figures(&self) -> EngineFigures {
        match self.engine.try_lock() {
            Some(engine) => {
                let figures = EngineFigures::of(&engine);
                *self.last_figures.lock() = figures;
                figures
            }
            None => *self.last_figures.lock(),
        }
    }

    pub fn new() -> mlua::Result<Scripting> {
        let run = Arc::new(busy::RunState::default());
        let rand = Arc::new(Mutex::new(Rand48::default()));
        let engine = Engine {
            eval: new_vm(VmKind::Eval, &rand, &run)?,
            scripts: cache::ScriptCache::default(),
            functions: new_vm(VmKind::Functions, &rand, &run)?,
            libraries: functions::Libraries::default(),
        };
        Ok(Scripting {
            engine: Mutex::new(engine),
            run,
            rand,
            library_count: AtomicUsize::new(0),
            function_count: AtomicUsize::new(0),
            codes: Mutex::new(Vec::new()),
            last_figures: Mutex::new(EngineFigures::default()),
        })
    }

    /// SCRIPT FLUSH: a new EVAL VM and an empty cache (Redis recreates its
    /// Lua state the same way; the random generator is global and kept).
    pub fn flush_scripts(&self, engine: &mut Engine) -> mlua::Result<()> {
        engine.eval = new_vm(VmKind::Eval, &self.rand, &self.run)?;
        engine.scripts = cache::ScriptCache::default();
        Ok(())
    }

    /// Publishes the library and function counts and the codes after a
    /// FUNCTION change.
    pub fn note_libraries(&self, engine: &Engine) {
        self.library_count
            .store(engine.libraries.libraries.len(), Relaxed);
        self.function_count
            .store(engine.libraries.function_count(), Relaxed);
        *self.codes.lock() = engine.libraries.codes();
    }

    /// Every library's code, for an RDB file or an AOF base, without
    /// taking the engine. Libraries change under the keyspace lock, which
    /// savers hold, so the codes match the keys saved with them.
    pub fn library_codes(&self) -> Vec<Bytes> {
        self.codes.lock().clone()
    }

    /// Compiles a file's libraries into a new set, leaving the current one
    /// alone (see [`functions::Libraries::from_codes`]).
    pub fn compile_libraries<'c>(
        &self,
        codes: impl IntoIterator<Item = &'c Bytes>,
    ) -> Result<functions::Libraries, (usize, String)> {
        let engine = self.engine.lock();
        functions::Libraries::from_codes(&engine.functions, &self.run, codes)
    }

    /// Replaces every library (a file was loaded, or DEBUG LOADAOF
    /// emptied the data, which in Redis takes the functions too).
    pub fn install_libraries(&self, libraries: functions::Libraries) {
        let mut engine = self.engine.lock();
        engine.libraries = libraries;
        self.note_libraries(&engine);
    }

    pub fn counts(&self) -> (usize, usize) {
        (
            self.library_count.load(Relaxed),
            self.function_count.load(Relaxed),
        )
    }
}

fn new_vm(kind: VmKind, rand: &Arc<Mutex<Rand48>>, run: &Arc<busy::RunState>) -> mlua::Result<Vm> {
    let vm = Vm::new(kind, rand.clone(), run.clone())?;
    let run = run.clone();
    vm.lua.set_global_hook(
        mlua::HookTriggers::new().every_nth_instruction(HOOK_INSTRUCTIONS),
        move |_, _| {
            if run.on_hook() {
                return Err(mlua::Error::runtime(busy::KILLED));
            }
            Ok(mlua::VmState::Continue)
        },
    )?;
    Ok(vm)
}

/// Redis's `evalGetCommandFlags` and `fcallGetCommandFlags`: the flags of
/// the script an EVAL, EVALSHA (and `_RO`) or FCALL request names, so
/// that dispatch can treat it as the command its script declares; `None`
/// for other commands, an unknown sha or function, or a body whose
/// shebang does not parse (the command's own flags apply).
pub fn requested_script_flags(
    engine: &Engine,
    name: &str,
    argv: &[Bytes],
) -> Option<flags::ScriptFlags> {
    let target = argv.get(1)?;
    match name {
        "eval" | "eval_ro" => {
            let sha = sha1::sha1_hex(target);
            match engine.scripts.get(&sha) {
                Some(script) => Some(script.flags),
                None => cache::shebang_flags(target).ok().map(|(flags, _)| flags),
            }
        }
        "evalsha" | "evalsha_ro" if target.len() == 40 => {
            let sha = String::from_utf8_lossy(target).to_ascii_lowercase();
            engine.scripts.get(&sha).map(|script| script.flags)
        }
        "fcall" | "fcall_ro" => {
            let name = String::from_utf8_lossy(target);
            engine.libraries.function(&name).map(|f| f.flags)
        }
        _ => None,
    }
}

/// Parses the numkeys argument of EVAL/FCALL and splits keys from args.
pub fn split_keys<'a>(
    argv: &'a [Bytes],
    not_integer: &str,
) -> Result<(&'a [Bytes], &'a [Bytes]), Frame> {
    let rest = &argv[3..];
    let numkeys =
        crate::cmd::args::parse_i64(&argv[2]).map_err(|_| Frame::error(not_integer.to_string()))?;
    if numkeys > rest.len() as i64 {
        return Err(Frame::error(
            "ERR Number of keys can't be greater than number of args",
        ));
    }
    if numkeys < 0 {
        return Err(Frame::error("ERR Number of keys can't be negative"));
    }
    Ok(rest.split_at(numkeys as usize))
}
