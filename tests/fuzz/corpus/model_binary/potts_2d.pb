

x  "red"green"blue
J§‡ø±ð?
bonds*
Jb
x2<2-D periodic 3-state Potts model 32x32 at J = ln(1 + sqrt 3)