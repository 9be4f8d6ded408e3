// A stand-in for npm in npmx's tests. npm is a Node.js program, so this is
// one too: `process.stdout.isTTY` and `.columns` are exactly what npm looks at.
//
// It is driven by its own arguments, so that whatever npmx passes on is what
// decides what happens. Each argument is a step, run in order; an argument
// that is not a step is data and is ignored (the `report` step shows it):
//
//   --version        print `0.0.0-fake` (what a nested `npm --version` gets)
//   report[=FILE]    write a JSON report to FILE (default report.json): isatty
//                    and window of 0-2, pids, process group, session and the
//                    terminal's foreground group, raw argv and environment,
//                    cwd, and the parent's executable and group
//   print=TEXT       write TEXT and a newline to stdout (eprint=: stderr)
//   out=FILE         copy FILE's bytes to stdout as they are (err=: stderr)
//   fd3=TEXT         write TEXT and a newline to descriptor 3
//   prompt=TEXT      write TEXT without a newline, read one line from stdin
//                    and print `answer=[LINE]`
//   trap=SIG:CODE[:N] on SIG: print `got SIG #COUNT`; on the Nth (default 1)
//                    also `cleanup after SIG`, then wait a moment for any
//                    extra copy, print `SIG x COUNT`, exit with CODE
//   resize           on a window resize, print `resized COLSxROWS`
//   ready            print `ready pid=PID` (after the traps are set)
//   wait             stay alive until a signal ends the process
//   forever          write lines to stdout until the pipe breaks, then
//                    print `fake npm: EPIPE` to stderr and exit 7
//   nested           run `npm --version` found on PATH, exit with its code
//   kill=SIG         die of SIG
//   exit=N           exit with N
//
// Every run also appends one JSON line about itself to $FAKE_NPM_RECORD, if
// that is set, so that a test can see each level of a nested run.

'use strict'
const fs = require('fs')
const tty = require('tty')
const { spawnSync } = require('child_process')

// The arguments as the bytes the kernel holds: process.argv would have decoded
// them as UTF-8 and lost whatever is not. cmdline is `node SCRIPT ARGS…`, each
// followed by a NUL.
function rawArgs () {
  return nulSeparated(fs.readFileSync('/proc/self/cmdline')).slice(2)
}

// The environment npm started with, as bytes, `NAME=value` each.
function rawEnviron () {
  return nulSeparated(fs.readFileSync('/proc/self/environ'))
}

function nulSeparated (raw) {
  const parts = []
  let start = 0
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] === 0) {
      parts.push(raw.subarray(start, i))
      start = i + 1
    }
  }
  return parts
}

// pid, ppid, pgrp, session and terminal foreground group from /proc (Node
// has no getpgid/getsid).
function stat (pid) {
  try {
    const text = fs.readFileSync(`/proc/${pid}/stat`, 'latin1')
    const f = text.slice(text.lastIndexOf(')') + 2).split(' ')
    return { state: f[0], ppid: +f[1], pgid: +f[2], sid: +f[3], tpgid: +f[5] }
  } catch {
    return null
  }
}

function readlink (path) {
  try {
    return fs.readlinkSync(path)
  } catch {
    return null
  }
}

function size (stream) {
  return stream.isTTY ? stream.getWindowSize() : null
}

function report () {
  const me = stat(process.pid)
  return {
    pid: process.pid,
    ppid: me.ppid,
    pgid: me.pgid,
    sid: me.sid,
    tpgid: me.tpgid,
    isatty: [0, 1, 2].map((fd) => tty.isatty(fd)),
    size: { stdout: size(process.stdout), stderr: size(process.stderr) },
    env: {
      NPMX_ARG0: process.env.NPMX_ARG0 ?? null,
      NPMX_DEPTH: process.env.NPMX_DEPTH ?? null,
    },
    argvHex: rawArgs().map((a) => a.toString('hex')),
    environHex: rawEnviron().map((a) => a.toString('hex')),
    cwd: process.cwd(),
    parent: { pid: me.ppid, exe: readlink(`/proc/${me.ppid}/exe`), ...stat(me.ppid) },
  }
}

function out (fd, bytes) {
  let off = 0
  while (off < bytes.length) {
    try {
      off += fs.writeSync(fd, bytes, off, bytes.length - off)
    } catch (e) {
      if (e.code !== 'EAGAIN') throw e
    }
  }
}

function readLine () {
  const one = Buffer.alloc(1)
  const line = []
  for (;;) {
    let n
    try {
      n = fs.readSync(0, one, 0, 1, null)
    } catch (e) {
      if (e.code === 'EAGAIN') continue
      throw e
    }
    if (n === 0 || one[0] === 0x0a) break
    line.push(one[0])
  }
  return Buffer.from(line).toString().replace(/\r$/, '')
}

if (process.env.FAKE_NPM_RECORD) {
  const me = stat(process.pid)
  const parent = stat(me.ppid)
  fs.appendFileSync(process.env.FAKE_NPM_RECORD, JSON.stringify({
    pid: process.pid,
    argv: process.argv.slice(2),
    NPMX_DEPTH: process.env.NPMX_DEPTH ?? null,
    NPMX_ARG0: process.env.NPMX_ARG0 ?? null,
    parent: { pid: me.ppid, exe: readlink(`/proc/${me.ppid}/exe`), ppid: parent && parent.ppid },
  }) + '\n')
}

let keepAlive = false
for (const arg of process.argv.slice(2)) {
  const eq = arg.indexOf('=')
  const [step, value] = eq < 0 ? [arg, ''] : [arg.slice(0, eq), arg.slice(eq + 1)]
  switch (step) {
    case '--version':
      out(1, Buffer.from('0.0.0-fake\n'))
      break
    case 'report':
      fs.writeFileSync(value || 'report.json', JSON.stringify(report()))
      break
    case 'print':
      out(1, Buffer.from(value + '\n'))
      break
    case 'eprint':
      out(2, Buffer.from(value + '\n'))
      break
    case 'out':
      out(1, fs.readFileSync(value))
      break
    case 'err':
      out(2, fs.readFileSync(value))
      break
    case 'fd3':
      out(3, Buffer.from(value + '\n'))
      break
    case 'prompt':
      out(1, Buffer.from(value))
      out(1, Buffer.from(`answer=[${readLine()}]\n`))
      break
    case 'trap': {
      const [name, code, times = '1'] = value.split(':')
      const signal = `SIG${name}`
      let count = 0
      process.on(signal, () => {
        count += 1
        out(1, Buffer.from(`got ${signal} #${count}\n`))
        if (count !== Number(times)) return
        out(1, Buffer.from(`cleanup after ${signal}\n`))
        // Long enough for a duplicate that npmx would forward to arrive.
        setTimeout(() => {
          out(1, Buffer.from(`${signal} x ${count}\n`))
          process.exit(Number(code))
        }, 500)
      })
      break
    }
    case 'resize':
      process.stdout.on('resize', () => {
        const [cols, rows] = process.stdout.getWindowSize()
        out(1, Buffer.from(`resized ${cols}x${rows}\n`))
      })
      break
    case 'ready':
      out(1, Buffer.from(`ready pid=${process.pid}\n`))
      break
    case 'wait':
      keepAlive = true
      break
    case 'forever': {
      const chunk = Buffer.from('line\n'.repeat(8192))
      try {
        for (;;) out(1, chunk)
      } catch (e) {
        out(2, Buffer.from(`fake npm: ${e.code}\n`))
        process.exit(7)
      }
    }
    // falls through: unreachable
    case 'nested': {
      const inner = spawnSync('npm', ['--version'], { stdio: 'inherit' })
      process.exit(inner.status ?? 99)
    }
    // falls through: unreachable
    case 'kill':
      process.kill(process.pid, `SIG${value}`)
      // Still here: the signal is not fatal, which a test must notice.
      keepAlive = true
      setTimeout(() => process.exit(99), 2000)
      break
    case 'exit':
      process.exit(Number(value))
  }
}
if (keepAlive) setInterval(() => {}, 1 << 30)
