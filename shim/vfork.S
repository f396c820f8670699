#if defined(__x86_64__)
/* vfork.S - vfork() that marks the child, for x86_64.
 *
 * A vfork child runs on its parent's memory and stack until it execs or
 * exits.  Python's subprocess (and others) call close_range/close/dup2/execve
 * there: were the library to update its table or disarm sockets from the
 * child, it would change the parent's state and the parent's live sockets.
 * So the calling thread's ac_in_vfork is raised before the system call and
 * lowered when the parent resumes; the child sees it raised and every
 * wrapper passes straight through.
 *
 * The child also gets a slot in the ledger, which the parent completes once
 * the child has exec'd (spawn.c): ac_vfork_begin before the system call, and
 * in the parent ac_vfork_done with its result, a tail call that returns the
 * pid (or -1 with errno).
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
	subq	$8, %rsp		/* 16-byte aligned for the call */
	.cfi_adjust_cfa_offset 8
	call	ac_vfork_begin
	addq	$8, %rsp
	.cfi_adjust_cfa_offset -8
	movq	ac_in_vfork@gottpoff(%rip), %rax
	addl	$1, %fs:(%rax)		/* a count: a vfork child may vfork too */
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
	subl	$1, %fs:(%rcx)		/* parent (child gone) or failure */
	movq	%rax, %rdi
	jmp	ac_vfork_done		/* tail call: returns the pid, or -1 with errno */
1:	ret
	.cfi_endproc
	.size	vfork, .-vfork

	.section .note.GNU-stack,"",@progbits
#endif
