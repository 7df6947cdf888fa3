import type { Container, PodSpec, SecurityContext } from './chart.ts';

// The Pod Security Standards, "restricted" profile (which includes every "baseline" control), as
// defined at https://kubernetes.io/docs/concepts/security/pod-security-standards/ (v1.3x). Each
// control is a check here, named as the page names it; a pod passes when the list is empty.

/** Baseline "Sysctls": the safe set. */
const SAFE_SYSCTLS = new Set([
  'kernel.shm_rmid_forced',
  'net.ipv4.ip_local_port_range',
  'net.ipv4.ip_unprivileged_port_start',
  'net.ipv4.tcp_syncookies',
  'net.ipv4.ping_group_range',
  'net.ipv4.ip_local_reserved_ports',
  'net.ipv4.tcp_keepalive_time',
  'net.ipv4.tcp_fin_timeout',
  'net.ipv4.tcp_keepalive_intvl',
  'net.ipv4.tcp_keepalive_probes',
]);
/** Baseline "SELinux": the allowed types. */
const SELINUX_TYPES = new Set(['container_t', 'container_init_t', 'container_kvm_t', 'container_engine_t']);
/** Restricted "Volume Types". */
const VOLUME_TYPES = new Set([
  'configMap',
  'csi',
  'downwardAPI',
  'emptyDir',
  'ephemeral',
  'persistentVolumeClaim',
  'projected',
  'secret',
  'image',
]);

function allContainers(spec: PodSpec): Container[] {
  return [...spec.containers, ...(spec.initContainers ?? []), ...(spec.ephemeralContainers ?? [])];
}

/** Every violation of the restricted profile, as "<control>: <where>: <what>". */
export function restrictedViolations(spec: PodSpec): string[] {
  const problems: string[] = [];
  const pod: SecurityContext = spec.securityContext ?? {};
  const containers = allContainers(spec);
  const each = (check: (context: SecurityContext, where: string) => void): void => {
    check(pod, 'pod');
    for (const container of containers) check(container.securityContext ?? {}, `container ${container.name}`);
  };

  // ── baseline ──
  each((context, where) => {
    if (context.windowsOptions?.hostProcess === true) problems.push(`HostProcess: ${where}: hostProcess is true`);
  });
  for (const field of ['hostNetwork', 'hostPID', 'hostIPC'] as const) {
    if (spec[field] === true) problems.push(`Host Namespaces: pod: ${field} is true`);
  }
  for (const container of containers) {
    const where = `container ${container.name}`;
    const context = container.securityContext ?? {};
    if (context.privileged === true) problems.push(`Privileged Containers: ${where}: privileged is true`);
    for (const port of container.ports ?? []) {
      if (port.hostPort !== undefined && port.hostPort !== 0) problems.push(`Host Ports: ${where}: hostPort ${port.hostPort}`);
    }
    if (context.procMount !== undefined && context.procMount !== 'Default')
      problems.push(`/proc Mount Type: ${where}: procMount ${context.procMount}`);
  }
  for (const volume of spec.volumes ?? []) {
    if ('hostPath' in volume) problems.push(`HostPath Volumes: volume ${volume.name} is a hostPath`);
  }
  each((context, where) => {
    const appArmor = context.appArmorProfile?.type;
    if (appArmor !== undefined && appArmor !== 'RuntimeDefault' && appArmor !== 'Localhost')
      problems.push(`AppArmor: ${where}: ${appArmor}`);
    const seLinux = context.seLinuxOptions;
    if (seLinux?.type !== undefined && !SELINUX_TYPES.has(seLinux.type)) problems.push(`SELinux: ${where}: type ${seLinux.type}`);
    if (seLinux?.user !== undefined || seLinux?.role !== undefined) problems.push(`SELinux: ${where}: user or role set`);
  });
  for (const sysctl of pod.sysctls ?? []) {
    if (!SAFE_SYSCTLS.has(sysctl.name)) problems.push(`Sysctls: pod: ${sysctl.name} is not a safe sysctl`);
  }

  // ── restricted ──
  for (const volume of spec.volumes ?? []) {
    const type = Object.keys(volume).find((key) => key !== 'name');
    if (type === undefined || !VOLUME_TYPES.has(type)) problems.push(`Volume Types: volume ${volume.name} is ${type ?? 'of no type'}`);
  }
  for (const container of containers) {
    const where = `container ${container.name}`;
    const context = container.securityContext ?? {};
    if (context.allowPrivilegeEscalation !== false) problems.push(`Privilege Escalation: ${where}: allowPrivilegeEscalation is not false`);

    // Running as Non-root: the pod says true and no container says false, or every container says true.
    const nonRoot = context.runAsNonRoot ?? pod.runAsNonRoot;
    if (nonRoot !== true) problems.push(`Running as Non-root: ${where}: runAsNonRoot is not true`);

    // Seccomp: RuntimeDefault or Localhost, set on the pod or on the container.
    const seccomp = context.seccompProfile?.type ?? pod.seccompProfile?.type;
    if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost')
      problems.push(`Seccomp: ${where}: seccompProfile is ${seccomp ?? 'unset'}`);

    const drop = context.capabilities?.drop ?? [];
    if (!drop.includes('ALL')) problems.push(`Capabilities: ${where}: does not drop ALL`);
    for (const capability of context.capabilities?.add ?? []) {
      if (capability !== 'NET_BIND_SERVICE') problems.push(`Capabilities: ${where}: adds ${capability}`);
    }
  }
  each((context, where) => {
    if (context.runAsUser === 0) problems.push(`Running as Non-root user: ${where}: runAsUser is 0`);
    if (context.seccompProfile?.type === 'Unconfined') problems.push(`Seccomp: ${where}: Unconfined`);
  });
  return problems;
}

/**
 * Ferry's own rules on top of "restricted" for the pods the chart makes: a numeric non-root uid on
 * every container (so the kubelet can check runAsNonRoot without reading the image), a read-only
 * root filesystem, and, for the Ferry image, an emptyDir at /tmp (the only place it writes).
 */
export function ferryPodViolations(spec: PodSpec, options: { writesTmp: boolean }): string[] {
  const problems: string[] = [];
  const pod = spec.securityContext ?? {};
  for (const container of allContainers(spec)) {
    const where = `container ${container.name}`;
    const context = container.securityContext ?? {};
    const uid = context.runAsUser ?? pod.runAsUser;
    if (typeof uid !== 'number' || !Number.isInteger(uid) || uid <= 0)
      problems.push(`${where}: runAsUser is not a numeric non-root uid (${String(uid)})`);
    if (context.readOnlyRootFilesystem !== true) problems.push(`${where}: readOnlyRootFilesystem is not true`);
    if (options.writesTmp) {
      const tmp = container.volumeMounts?.find((mount) => mount.mountPath === '/tmp');
      const volume = spec.volumes?.find((candidate) => candidate.name === tmp?.name);
      if (volume === undefined || !('emptyDir' in volume)) problems.push(`${where}: no emptyDir mounted at /tmp`);
    }
  }
  return problems;
}
