# bench/host.sh - sourced by the benchmark scripts: one line describing this machine for their
# headers ("AMD EPYC, 2 CPUs, Linux 6.18.44, /dev/kvm from kvm_pvm"), truthful when there is no
# /dev/kvm. Sets $kvm (the loaded KVM module, or none) and $host.
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
kvm=none
for m in kvm_intel kvm_amd kvm_pvm; do [[ -e /sys/module/$m ]] && kvm=$m; done
if [[ -e /dev/kvm ]]; then kvmdesc="/dev/kvm from $kvm"; else kvmdesc="no /dev/kvm"; fi
host="${cpu:-unknown CPU}, $(nproc) CPUs, Linux $(uname -r), $kvmdesc"
