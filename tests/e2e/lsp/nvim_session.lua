-- nvim_session.lua - a scripted Neovim (0.7, headless) session against golive lsp,
-- through Neovim's built-in client (vim.lsp.start_client). Run by
-- tests/e2e/t111_lsp_nvim.sh:
--   GOLIVE=... LSP_MOD=dir nvim --headless -u NONE -n -c 'luafile nvim_session.lua'
-- Writes "ok N - what" lines to $LSP_OUT; exits 0 when every check passed, 1 otherwise.
local golive, mod, outpath = os.getenv("GOLIVE"), os.getenv("LSP_MOD"), os.getenv("LSP_OUT")
local out = assert(io.open(outpath, "w"))
local n = 0

local function finish(code)
  out:close()
  vim.cmd((code == 0 and "qa!" or "cq!"))
end

local function ok(cond, what, detail)
  n = n + 1
  if cond then
    out:write(string.format("ok %d - %s\n", n, what))
  else
    out:write(string.format("not ok %d - %s %s\n", n, what, detail or ""))
    finish(1)
    error("stop")
  end
  out:flush()
end

local log = {}
local client_id = vim.lsp.start_client({
  name = "golive",
  cmd = { golive, "lsp" },
  root_dir = mod,
  flags = { debounce_text_changes = 20, allow_incremental_sync = true },
  handlers = {
    ["window/showMessage"] = function(_, result) table.insert(log, result.message) end,
  },
  on_exit = function(code) log.exit = code end,
})
ok(client_id ~= nil, "vim.lsp.start_client starts golive lsp")

local function diags(buf, pred)
  local found
  vim.wait(15000, function()
    local ds = vim.diagnostic.get(buf)
    if pred(ds) then found = ds return true end
    return false
  end, 20)
  return found
end

-- 1. open a handler file: the httpctx diagnostic, at the call, in bytes for Neovim
vim.cmd("edit " .. mod .. "/h.go")
local buf = vim.api.nvim_get_current_buf()
vim.lsp.buf_attach_client(buf, client_id)
local ds = diags(buf, function(d) return #d == 1 end)
ok(ds ~= nil, "the httpctx diagnostic appears", vim.inspect(vim.diagnostic.get(buf)))
local d = ds[1]
local line = vim.api.nvim_buf_get_lines(buf, d.lnum, d.lnum + 1, false)[1]
local want = line:find("context.Background()", 1, true) - 1
ok(d.source == "golive" and d.code == "httpctx", "source golive, code httpctx", vim.inspect(d))
ok(d.col == want and d.end_col == want + #"context.Background()",
   "its range is the call, after the non-ASCII text (byte cols " .. want .. ")", vim.inspect(d))

-- 2. type an edit that removes it: the diagnostic clears; undo brings it back
local row = d.lnum
vim.api.nvim_buf_set_text(buf, row, want, row, want + #"context.Background()", { "r.Context()" })
ok(diags(buf, function(x) return #x == 0 end) ~= nil, "typing r.Context() clears it")
vim.cmd("undo")
ds = diags(buf, function(x) return #x == 1 end)
ok(ds ~= nil, "undo brings it back")

-- 3. the quick fix through textDocument/codeAction
local params = vim.lsp.util.make_range_params()
params.range = { start = { line = row, character = 0 }, ["end"] = { line = row, character = 0 } }
params.context = { diagnostics = vim.lsp.diagnostic.get_line_diagnostics(buf, row) }
local res = vim.lsp.buf_request_sync(buf, "textDocument/codeAction", params, 10000)
local fix
for _, r in pairs(res or {}) do
  for _, a in ipairs(r.result or {}) do
    if a.title:find("Context") and not a.title:find("Ignore") then fix = a end
  end
end
ok(fix ~= nil, "a quick fix is offered", vim.inspect(res))
vim.lsp.util.apply_workspace_edit(fix.edit, "utf-16")
line = vim.api.nvim_buf_get_lines(buf, row, row + 1, false)[1]
ok(line:find("ctx := r.Context()", 1, true) ~= nil, "applied, the line reads r.Context()", line)
ok(diags(buf, function(x) return #x == 0 end) ~= nil, "and the diagnostic is gone")

-- 4. break golive.yaml in the editor: reported at its line:col
vim.cmd("edit " .. mod .. "/golive.yaml")
local ybuf = vim.api.nvim_get_current_buf()
vim.lsp.buf_attach_client(ybuf, client_id)
vim.api.nvim_buf_set_lines(ybuf, 0, -1, false, { "analyzers:", "  httpctx: on", "  bogus: on" })
ds = diags(ybuf, function(x) return #x == 1 end)
ok(ds ~= nil, "a broken golive.yaml is reported", vim.inspect(vim.diagnostic.get(ybuf)))
ok(ds[1].lnum == 2 and ds[1].col == 2 and ds[1].message:find("bogus", 1, true),
   "at its line:col (3:3)", vim.inspect(ds[1]))
vim.api.nvim_buf_set_lines(ybuf, 2, 3, false, {})
ok(diags(ybuf, function(x) return #x == 0 end) ~= nil, "fixed, the report goes")

-- 5. shutdown: the client stops, the server exits 0
vim.lsp.stop_client(client_id)
vim.wait(10000, function() return log.exit ~= nil end, 20)
ok(log.exit == 0, "stop_client: golive lsp exits 0", tostring(log.exit))
finish(0)
