/* guest_image.S - the benchmark guest's flat binary, built from bench/guest/pagein.S, carried
 * inside the host program so the benchmark is one file to run. */
    .section .rodata
    .balign 16
    .globl bench_guest_image, bench_guest_image_end
bench_guest_image:
    .incbin "pagein.bin"
bench_guest_image_end:
    .section .note.GNU-stack, "", @progbits
