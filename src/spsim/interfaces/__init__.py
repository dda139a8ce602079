"""How people reach spsim: the command line, the HTML report and the browser app."""
