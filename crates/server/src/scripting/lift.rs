//! Turns a primitive's `(status, value)` answer into a C function's
//! behaviour, so the functions scripts call are C functions as in Redis.
//!
//! This matters for error positions: Redis's library functions are C
//! functions, so a script's `return bit.band('x')` keeps the script's frame
//! (Lua only eliminates tail calls into Lua functions) and `luaL_error`
//! prefixes the script's `user_script:1:`; and Redis's error handler skips
//! exactly one C frame to find the script line. A Lua wrapper would lose
//! the frame in a tail call.
//!
//! Statuses: 0 one value, 1 several values in a table with `n`, 2 an error
//! message located at the caller (`luaL_error`), 3 an error value raised
//! as it is (Redis's error tables), 4 a bad argument `{n, message}`
//! (`luaL_argerror`, which names the function as the caller called it:
//! `bad argument #1 to 'pairs' (table expected, got number)`).

use mlua::ffi;
use mlua::{Function, Lua};
use std::os::raw::c_int;

/// Wraps `primitive` (a function answering `(status, value)`).
pub fn lift(lua: &Lua, primitive: Function) -> mlua::Result<Function> {
    // SAFETY: the closure receives the primitive as the only stack value
    // and replaces it with a C closure holding it as upvalue 1.
    unsafe {
        lua.exec_raw(primitive, |state| {
            ffi::lua_pushcclosure(state, trampoline, 1);
        })
    }
}

unsafe extern "C-unwind" fn trampoline(state: *mut ffi::lua_State) -> c_int {
    let nargs = ffi::lua_gettop(state);
    ffi::lua_pushvalue(state, ffi::lua_upvalueindex(1));
    ffi::lua_insert(state, 1);
    ffi::lua_call(state, nargs, 2);
    let status = ffi::lua_tointeger(state, 1);
    match status {
        0 => 1,
        1 => {
            ffi::lua_getfield(state, 2, c"n".as_ptr());
            let n = ffi::lua_tointeger(state, -1) as c_int;
            ffi::lua_settop(state, 2);
            if ffi::lua_checkstack(state, n) == 0 {
                ffi::lua_pushstring(state, c"too many results".as_ptr());
                ffi::lua_error(state);
            }
            for i in 1..=n {
                ffi::lua_rawgeti(state, 2, i as _);
            }
            n
        }
        2 => {
            ffi::luaL_where(state, 1);
            ffi::lua_pushvalue(state, 2);
            ffi::lua_concat(state, 2);
            ffi::lua_error(state)
        }
        4 => {
            ffi::lua_rawgeti(state, 2, 1);
            let argument = ffi::lua_tointeger(state, -1) as c_int;
            ffi::lua_rawgeti(state, 2, 2);
            // The message stays on the stack while luaL_argerror reads it.
            let message = ffi::lua_tostring(state, -1);
            ffi::luaL_argerror(state, argument, message)
        }
        _ => {
            ffi::lua_pushvalue(state, 2);
            ffi::lua_error(state)
        }
    }
}
