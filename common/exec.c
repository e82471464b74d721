// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "exec.h"
#include "fileio.h"
#include "strutil.h"

int exec_wait(char *const argv[], char **ret_output)
{
	_cleanup_free_ char *output = NULL;
	int pipefd[2], status, r;
	pid_t pid;

	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -errno;

	pid = fork();
	if (pid < 0) {
		r = -errno;
		close(pipefd[0]);
		close(pipefd[1]);
		return r;
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);

		if (devnull < 0 || dup2(devnull, STDIN_FILENO) < 0 ||
		    dup2(pipefd[1], STDOUT_FILENO) < 0 || dup2(pipefd[1], STDERR_FILENO) < 0)
			_exit(127);
		signal(SIGPIPE, SIG_DFL);
		execvp(argv[0], argv);
		_exit(127);
	}

	close(pipefd[1]);
	r = read_fd_all(pipefd[0], &output);
	close(pipefd[0]);

	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return -errno;
	}
	if (r < 0)
		return r;
	if (WIFSIGNALED(status)) {
		/* say which: what the program printed, then how it ended */
		char *said = strdup_printf("%s%s%s killed by signal %d (%s)", output ? output : "",
					   output && *output ? "; " : "", argv[0], WTERMSIG(status),
					   strsignal(WTERMSIG(status)));

		free(output);
		output = said;
	}
	if (ret_output)
		*ret_output = TAKE_PTR(output);
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return -EINTR;
}

char *argv_join(char *const argv[])
{
	size_t len = 1;
	char *s, *p;

	for (size_t i = 0; argv[i]; i++)
		len += strlen(argv[i]) + 1;
	s = malloc(len);
	if (!s)
		return NULL;
	p = s;
	for (size_t i = 0; argv[i]; i++) {
		if (i)
			*p++ = ' ';
		p = stpcpy(p, argv[i]);
	}
	*p = '\0';
	return s;
}
