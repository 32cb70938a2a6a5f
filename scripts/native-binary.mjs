// What a native binary is, from its first bytes: the object format (ELF, Mach-O, PE) and the CPU it
// was built for, and for ELF the newest glibc symbol version it needs. The packaging script checks
// every VSIX's SQLite addon with it, so a VSIX can never carry another platform's binary.

const ELF_MACHINES = { 0x3e: 'x64', 0xb7: 'arm64', 0x03: 'ia32', 0x28: 'arm' };
const MACHO_CPUS = { 0x01000007: 'x64', 0x0100000c: 'arm64' };
const PE_MACHINES = { 0x8664: 'x64', 0xaa64: 'arm64', 0x014c: 'ia32' };

/** { format, arch, glibc? } of a binary's bytes; throws on anything it does not recognise. */
export function describeBinary(buf) {
  if (buf.length >= 20 && buf.readUInt32BE(0) === 0x7f454c46) {
    const little = buf[5] === 1;
    const machine = little ? buf.readUInt16LE(18) : buf.readUInt16BE(18);
    const glibc = [...buf.toString('latin1').matchAll(/GLIBC_2\.(\d+)/g)].reduce((m, x) => Math.max(m, Number(x[1])), 0);
    return { format: 'ELF', arch: ELF_MACHINES[machine] ?? `machine 0x${machine.toString(16)}`, bits: buf[4] === 2 ? 64 : 32, glibc: glibc ? `2.${glibc}` : null };
  }
  if (buf.length >= 8 && buf.readUInt32LE(0) === 0xfeedfacf) {
    const cpu = buf.readUInt32LE(4);
    return { format: 'Mach-O', arch: MACHO_CPUS[cpu] ?? `cpu 0x${cpu.toString(16)}`, bits: 64 };
  }
  if (buf.length >= 64 && buf.toString('latin1', 0, 2) === 'MZ') {
    const pe = buf.readUInt32LE(0x3c);
    if (buf.toString('latin1', pe, pe + 4) !== 'PE\0\0') throw new Error('MZ file without a PE header');
    const machine = buf.readUInt16LE(pe + 4);
    return { format: 'PE', arch: PE_MACHINES[machine] ?? `machine 0x${machine.toString(16)}`, bits: machine === 0x014c ? 32 : 64 };
  }
  throw new Error(`not an ELF, Mach-O (64-bit) or PE file (starts ${buf.subarray(0, 4).toString('hex')})`);
}

/** The format and CPU a VSIX target must carry. */
export function expectedFor(target) {
  const [os, arch] = target.split('-');
  const format = os === 'win32' ? 'PE' : os === 'darwin' ? 'Mach-O' : 'ELF';
  return { format, arch };
}
