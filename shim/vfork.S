#if defined(__x86_64__)
/* vfork.S - vfork() that marks the child, for x86_64.
 *
 * A vfork child runs on its parent's memory and stack until it execs or
 * exits.  Python's subprocess (and others) call close_range/close/dup2/execve
 * there: were the library to update its table or disarm sockets from the
 * child, it would change the parent's state and the parent's live sockets.
 * So the calling thread's ac_in_vfork is set before the system call and
 * cleared when the parent resumes; the child sees it set and every wrapper
 * passes straight through.
 *
 * A C wrapper cannot do this: the child would return from it and clobber the
 * frame the parent returns through.  Like glibc's own vfork, the return
 * address is kept in a register across the system call (rdi: preserved by
 * syscall, free to clobber here). */
	.text
	.globl	vfork
	.type	vfork, @function
	.p2align 4
vfork:
	.cfi_startproc
	movq	ac_in_vfork@gottpoff(%rip), %rax
	movl	$1, %fs:(%rax)
	popq	%rdi
	.cfi_adjust_cfa_offset -8
	.cfi_register %rip, %rdi
	movl	$58, %eax		/* SYS_vfork */
	syscall
	pushq	%rdi
	.cfi_adjust_cfa_offset 8
	.cfi_rel_offset %rip, 0
	testq	%rax, %rax
	jz	1f			/* child: stays marked */
	movq	ac_in_vfork@gottpoff(%rip), %rcx
	movl	$0, %fs:(%rcx)		/* parent (child gone) or failure */
	cmpq	$-4095, %rax
	jae	2f
1:	ret
2:	movq	%rax, %rdi
	jmp	ac_vfork_failed		/* tail call: sets errno, returns -1 */
	.cfi_endproc
	.size	vfork, .-vfork

	.section .note.GNU-stack,"",@progbits
#endif
